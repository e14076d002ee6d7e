/**
 * ARNs in policies: their shape, and whether a policy's resource (with `*`, `?` and policy
 * variables) can name a resource of a given type (an ARN template from the IAM dataset).
 */

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'];

/**
 * Stands for a part of a value that is unknown but holds no "/" — a CloudFormation reference to a
 * name, for example. Policies never contain this character.
 */
export const UNKNOWN_NAME = '\uE000';

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(value: string): ParsedArn | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, account, ...rest] = parts as [string, string, string, string, string, string];
  return { partition, service, region, account, resource: rest.join(':') };
}

/** What is wrong with an ARN's shape, or undefined when it looks right. */
export function arnProblem(value: string): string | undefined {
  if (value === '*') return undefined;
  if (!value.startsWith('arn:')) return 'does not start with "arn:"';
  const arn = parseArn(value);
  if (!arn) return 'has fewer than six colon-separated parts (arn:partition:service:region:account:resource)';
  const known = (part: string): boolean => /[*?]|\$\{|\uE000/.test(part);
  if (!PARTITIONS.includes(arn.partition) && !known(arn.partition))
    return `has an unknown partition "${arn.partition}"`;
  if (!/^[a-z0-9-]+$/.test(arn.service) && !known(arn.service))
    return `has an invalid service "${arn.service}" (lower case letters, digits and dashes)`;
  if (arn.region && !/^[a-z0-9-]+$/.test(arn.region) && !known(arn.region))
    return `has an invalid region "${arn.region}"`;
  if (arn.account && !/^(\d{12}|aws)$/.test(arn.account) && !known(arn.account))
    return `has an invalid account "${arn.account}" (12 digits)`;
  if (arn.resource === '') return 'has no resource part';
  return undefined;
}

type Token =
  | { t: 'lit'; c: string }
  /** `*`: any characters, "/" included. */
  | { t: 'any' }
  /** Any characters but "/": a template variable that names something. */
  | { t: 'name' }
  /** A value known only at deployment: it stands for a template variable, never for fixed text. */
  | { t: 'unknown' }
  | { t: 'one' };

/** A policy's resource: `*` and policy variables match anything, `?` one character. */
function policyTokens(value: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '*') tokens.push({ t: 'any' });
    else if (c === '?') tokens.push({ t: 'one' });
    else if (c === UNKNOWN_NAME) tokens.push({ t: 'unknown' });
    else if (c === '$' && value[i + 1] === '{') {
      const close = value.indexOf('}', i);
      if (close < 0) tokens.push({ t: 'lit', c });
      else {
        tokens.push({ t: 'any' });
        i = close;
      }
    } else tokens.push({ t: 'lit', c });
  }
  return tokens;
}

/** Template variables whose values never hold a "/" (the rest may: object keys, paths, log group names). */
const NO_SLASH = new Set([
  'Partition',
  'Region',
  'Account',
  'AccountId',
  'BucketName',
  'TableName',
  'KeyId',
  'IndexName',
]);

/** An ARN template from the IAM dataset, e.g. `arn:${Partition}:s3:::${BucketName}/${ObjectName}`. */
function templateTokens(template: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '$' && template[i + 1] === '{') {
      const close = template.indexOf('}', i);
      const name = template.slice(i + 2, close < 0 ? undefined : close);
      tokens.push(NO_SLASH.has(name) ? { t: 'name' } : { t: 'any' });
      i = close < 0 ? template.length : close;
    } else tokens.push({ t: 'lit', c });
  }
  return tokens;
}

const isStar = (t: Token): boolean => t.t === 'any' || t.t === 'name' || t.t === 'unknown';

/** Can star `s` stand for (part of) token `o`? */
function absorbs(s: Token, o: Token): boolean {
  if (s.t === 'any') return true;
  if (s.t === 'unknown') return o.t !== 'lit' && o.t !== 'one';
  return !(o.t === 'lit' && o.c === '/');
}

function charsMeet(a: Token, b: Token): boolean {
  if (a.t === 'one' || b.t === 'one') return true;
  return a.t === 'lit' && b.t === 'lit' && a.c === b.c;
}

/** Whether some string matches both token lists. */
function intersects(a: Token[], b: Token[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (i < a.length && isStar(a[i]!)) {
      result = go(i + 1, j) || (j < b.length && absorbs(a[i]!, b[j]!) && go(i, j + 1));
    } else if (j < b.length && isStar(b[j]!)) {
      result = go(i, j + 1) || (i < a.length && absorbs(b[j]!, a[i]!) && go(i + 1, j));
    } else if (i < a.length && j < b.length) {
      result = charsMeet(a[i]!, b[j]!) && go(i + 1, j + 1);
    } else result = false;
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** Whether a policy's resource can name a resource of the type with this ARN template. */
export function resourceMatchesTemplate(resource: string, template: string): boolean {
  if (resource === '*' || template === '*') return true;
  return intersects(policyTokens(resource), templateTokens(template));
}

/** Whether a concrete ARN is matched by a policy's resource pattern (`*`, `?`, no variables). */
export function arnMatchesPattern(arn: string, pattern: string): boolean {
  const tokens = policyTokens(pattern);
  const literal: Token[] = [...arn].map((c) => ({ t: 'lit', c }));
  return intersects(tokens, literal);
}

/** Matches an action name against a pattern with `*` and `?`, case-insensitively, as IAM does. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    'i',
  );
  return re.test(action);
}

/** The ARN a resource of this CloudFormation type gets, with unknown names; undefined for other types. */
export function resourceArnPlaceholder(type: string | undefined): string | undefined {
  const U = UNKNOWN_NAME;
  switch (type) {
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${U}`;
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return `arn:aws:dynamodb:${U}:${U}:table/${U}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${U}:${U}:key/${U}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${U}:role/${U}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${U}:${U}:function:${U}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${U}:${U}:${U}`;
    default:
      return undefined;
  }
}
