import { actionMatches, arnProblem, resourceMatchesTemplate } from './arn';
import type { FindingCode, RawFinding } from './findings';
import {
  type ActionInfo,
  actionInfo,
  actionsMatching,
  conditionKeyCovers,
  conditionKeyInfo,
  serviceExists,
} from './iamCatalog';
import { entry, type LEntry, type LNode, member } from './located';

/** Who the policy is attached to decides which elements it may have. */
export type PolicyKind = 'identity' | 'resource' | 'trust';

/** A value as text, or undefined when it cannot be known before deployment (a CloudFormation reference). */
export type ValueResolver = (node: LNode) => string | undefined;

export interface DocumentContext {
  kind: PolicyKind;
  /** The document sits in a CloudFormation template (intrinsic functions allowed, `${AWS::…}` fine in !Sub). */
  inTemplate: boolean;
  resolve: ValueResolver;
  /** The document is a bucket policy (AWS::S3::BucketPolicy); for a policy file, a resource policy on S3 ARNs only. */
  bucketPolicy?: boolean;
}

/**
 * Actions a wildcard should not hand out unnoticed on a backup bucket, table or key, with why.
 * Lower case (IAM matches action names case-insensitively).
 */
const SENSITIVE: Record<string, string> = {
  's3:putobjectretention': 'weakens Object Lock (shortens or changes retention)',
  's3:putobjectlegalhold': 'weakens Object Lock (lifts a legal hold)',
  's3:bypassgovernanceretention': 'weakens Object Lock (deletes through governance retention)',
  's3:putbucketobjectlockconfiguration': 'weakens Object Lock (changes the default retention)',
  's3:putobjectacl': "weakens Object Lock's protection (hands objects to other accounts)",
  's3:putobjectversionacl': 'hands object versions to other accounts',
  's3:putbucketacl': 'hands the bucket to other accounts',
  's3:putbucketpolicy': 'rewrites who may do what with the bucket',
  's3:deletebucketpolicy': 'removes the bucket policy (and its TLS and encryption rules)',
  's3:putlifecycleconfiguration': 'can expire every backup',
  's3:putbucketversioning': 'can suspend versioning',
  's3:deleteobjectversion': 'deletes backups for good',
  's3:deletebucket': 'deletes the bucket',
  'kms:schedulekeydeletion': 'makes every backup encrypted with the key unreadable',
  'kms:disablekey': 'makes every backup encrypted with the key unreadable',
  'kms:putkeypolicy': 'rewrites who may use the key',
  'dynamodb:deletetable': 'deletes the table',
  'dynamodb:deletebackup': 'deletes DynamoDB backups',
  'iam:passrole': 'lets the holder give a role to a service',
};

/** ACL actions: refused (or meaningless) on buckets whose ownership is bucket-owner-enforced. */
const ACL_ACTIONS = new Set(['s3:putobjectacl', 's3:putobjectversionacl', 's3:putbucketacl']);

const POLICY_KEYS = ['Version', 'Id', 'Statement'];
const STATEMENT_KEYS = [
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
];
const PRINCIPAL_KEYS = ['AWS', 'Service', 'Federated', 'CanonicalUser'];
const OPERATOR =
  /^(?:(ForAllValues|ForAnyValue):)?(StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|StringLike|StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|DateEquals|DateNotEquals|DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|Bool|BinaryEquals|IpAddress|NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike|Null)(IfExists)?$/;

const PLACEHOLDERS: { re: RegExp; what: string; plainJsonOnly?: boolean }[] = [
  { re: /<[A-Za-z][A-Za-z0-9 _.:-]*>/, what: 'an angle-bracket placeholder' },
  { re: /\{\{[^{}]+\}\}/, what: 'a template placeholder' },
  { re: /\$\{\d+(?::[^}]*)?\}/, what: 'an unexpanded snippet tab-stop' },
  { re: /\b(?:YOUR|REPLACE|CHANGE)[_-]?[A-Z_]*\b|DOC-EXAMPLE/, what: 'a "fill me in" value' },
  { re: /\$\{AWS::[A-Za-z]+\}/, what: 'a CloudFormation pseudo parameter outside a template', plainJsonOnly: true },
];

type Emit = (code: FindingCode, node: { start: number; end: number }, message: string, hint: string) => void;

/** Lints one policy document (already parsed, syntax-error free). */
export async function checkDocument(doc: LNode, ctx: DocumentContext): Promise<RawFinding[]> {
  const findings: RawFinding[] = [];
  const emit: Emit = (code, node, message, hint) =>
    findings.push({ code, start: node.start, end: Math.max(node.end, node.start + 1), message, hint });

  checkDuplicateKeys(doc, emit, undefined);
  if (doc.kind !== 'object') {
    emit(
      'MalformedPolicy',
      doc,
      'A policy document must be a JSON object.',
      'Start from a snippet: "coldkeep policy snippets".',
    );
    return findings;
  }
  for (const e of doc.entries) {
    if (!POLICY_KEYS.includes(e.key)) {
      emit(
        'MalformedPolicy',
        { start: e.keyStart, end: e.keyEnd },
        `"${e.key}" is not a policy element (Version, Id, Statement).`,
        'Element names are case-sensitive; move statement elements into "Statement".',
      );
    }
  }
  checkVersion(doc, ctx, emit);

  const statementNode = member(doc, 'Statement');
  if (!statementNode) {
    emit(
      'MalformedPolicy',
      { start: doc.start, end: doc.start + 1 },
      'The policy has no "Statement".',
      'Add "Statement": [ { "Effect": …, "Action": …, "Resource": … } ].',
    );
    return findings;
  }
  const statements =
    statementNode.kind === 'array' ? statementNode.items : statementNode.kind === 'object' ? [statementNode] : [];
  if (statements.length === 0 && statementNode.kind !== 'intrinsic') {
    emit(
      'MalformedPolicy',
      statementNode,
      '"Statement" must be a statement object or a list of them.',
      'Write "Statement": [ { … }, { … } ].',
    );
  }
  const sids = new Map<string, LNode>();
  for (const statement of statements) {
    if (statement.kind === 'intrinsic') continue;
    if (statement.kind !== 'object') {
      emit(
        'MalformedStatement',
        statement,
        'A statement must be an object.',
        'Write each statement as { "Effect": …, "Action": …, "Resource": … }.',
      );
      continue;
    }
    await checkStatement(statement, ctx, emit, sids);
  }
  const isBucketPolicy = ctx.bucketPolicy ?? (ctx.kind === 'resource' && !ctx.inTemplate && onS3Only(statements, ctx));
  if (
    isBucketPolicy &&
    statementNode.kind !== 'intrinsic' &&
    !statements.some((st) => deniesInsecureTransport(st, ctx))
  ) {
    emit(
      'MissingSecureTransport',
      { start: statementNode.start, end: statementNode.start + 1 },
      'This bucket policy does not deny requests made without TLS: backups can be read and written over plain HTTP.',
      'Add {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}} ("coldkeep policy snippets": bucket-deny-insecure-transport).',
    );
  }
  return findings;
}

function checkDuplicateKeys(node: LNode, emit: Emit, parentKey: string | undefined): void {
  if (node.kind === 'object') {
    const seen = new Set<string>();
    for (const e of node.entries) {
      if (seen.has(e.key)) {
        const principal = parentKey === 'Principal' || parentKey === 'NotPrincipal';
        emit(
          'DuplicateKey',
          { start: e.keyStart, end: e.keyEnd },
          principal
            ? `"${e.key}" appears twice in ${parentKey}: only the last one counts, so the first principal gets no access.`
            : `"${e.key}" appears twice in one object: only the last one counts.`,
          principal
            ? `Name several principals in one array: "${e.key}": ["arn:…:role/first", "arn:…:role/second"].`
            : e.key === 'Statement'
              ? 'Put all statements in one "Statement": [ … ] list.'
              : 'Merge the two into one key (use a list for several values).',
        );
      }
      seen.add(e.key);
      checkDuplicateKeys(e.value, emit, e.key);
    }
  } else if (node.kind === 'array') {
    for (const item of node.items) checkDuplicateKeys(item, emit, parentKey);
  } else if (node.kind === 'intrinsic') {
    checkDuplicateKeys(node.arg, emit, parentKey);
  }
}

function checkVersion(doc: LNode & { kind: 'object' }, ctx: DocumentContext, emit: Emit): void {
  const version = entry(doc, 'Version');
  if (!version) {
    emit(
      'MissingVersion',
      { start: doc.start, end: doc.start + 1 },
      'The policy has no "Version": IAM reads it as 2008-10-17, where policy variables such as ${aws:username} are plain text.',
      'Add "Version": "2012-10-17" as the first element.',
    );
    return;
  }
  const value = ctx.resolve(version.value);
  if (value === undefined && version.value.kind === 'intrinsic') return;
  if (value === '2008-10-17') {
    emit(
      'OldVersion',
      version.value,
      'Version "2008-10-17" is the old policy language: policy variables do not work.',
      'Use "Version": "2012-10-17".',
    );
  } else if (value !== '2012-10-17') {
    emit(
      'InvalidVersion',
      version.value,
      `Version ${JSON.stringify(value ?? null)} is not a policy language version.`,
      'Use "Version": "2012-10-17" (a date, not the date you wrote the policy).',
    );
  }
}

/** The string nodes of an element that takes a string or a list of strings; the rest is reported. */
function stringList(element: LEntry, emit: Emit, name: string): LNode[] {
  const node = element.value;
  const items = node.kind === 'array' ? node.items : [node];
  if (node.kind === 'array' && items.length === 0) {
    emit('MalformedStatement', node, `"${name}" is an empty list.`, `Give "${name}" at least one value.`);
  }
  return items.filter((item) => {
    if (item.kind === 'string' || item.kind === 'intrinsic') return true;
    emit(
      'MalformedStatement',
      item,
      `"${name}" takes a string or a list of strings.`,
      'Put the value in double quotes.',
    );
    return false;
  });
}

interface ResolvedAction {
  node: LNode;
  text: string;
  /** Explicit action or the expansion of a pattern. */
  infos: ActionInfo[];
  wildcard: boolean;
}

/** One statement's elements, read once: what the checks of the statement share. */
interface Statement {
  node: LNode & { kind: 'object' };
  /** Where a finding about the statement as a whole points: its opening brace. */
  at: { start: number; end: number };
  sid: LEntry | undefined;
  effectEntry: LEntry | undefined;
  /** The Effect's value; undefined when missing or known only at deployment. */
  effect: string | undefined;
  allow: boolean;
  action: LEntry | undefined;
  notAction: LEntry | undefined;
  resource: LEntry | undefined;
  notResource: LEntry | undefined;
  principal: LEntry | undefined;
  notPrincipal: LEntry | undefined;
  condition: LEntry | undefined;
}

/** The actions a statement names, resolved: granted (Action) or left out (NotAction). */
interface StatementActions {
  actions: ResolvedAction[];
  excluded: ResolvedAction[];
}

type StatementResources = { node: LNode; text: string | undefined }[];

/** Lints one statement: its elements each in turn, then what they grant together. */
async function checkStatement(
  node: LNode & { kind: 'object' },
  ctx: DocumentContext,
  emit: Emit,
  sids: Map<string, LNode>,
): Promise<void> {
  const st = readStatement(node, ctx);
  checkStatementKeys(st, emit);
  checkSid(st, ctx, emit, sids);
  checkEffect(st, emit);
  checkElementPairs(st, ctx, emit);
  checkPrincipals(st, ctx, emit);
  checkPlaceholders(node, ctx, emit);
  const actions = await checkActions(st, ctx, emit);
  checkAllowedActions(st, ctx, actions, emit);
  const resources = checkResources(st, ctx, emit);
  checkResourceScope(st, ctx, actions.actions, resources, emit);
  if (st.condition) await checkCondition(st.condition.value, actions.actions, st.effect, emit);
  checkPublic(st, ctx, emit);
}

function readStatement(node: LNode & { kind: 'object' }, ctx: DocumentContext): Statement {
  const effectEntry = entry(node, 'Effect');
  const effect = effectEntry ? ctx.resolve(effectEntry.value) : undefined;
  return {
    node,
    at: { start: node.start, end: node.start + 1 },
    sid: entry(node, 'Sid'),
    effectEntry,
    effect,
    allow: effect === 'Allow',
    action: entry(node, 'Action'),
    notAction: entry(node, 'NotAction'),
    resource: entry(node, 'Resource'),
    notResource: entry(node, 'NotResource'),
    principal: entry(node, 'Principal'),
    notPrincipal: entry(node, 'NotPrincipal'),
    condition: entry(node, 'Condition'),
  };
}

function checkStatementKeys({ node }: Statement, emit: Emit): void {
  for (const e of node.entries) {
    if (!STATEMENT_KEYS.includes(e.key)) {
      emit(
        'MalformedStatement',
        { start: e.keyStart, end: e.keyEnd },
        `"${e.key}" is not a statement element.`,
        `Statement elements are ${STATEMENT_KEYS.join(', ')} (case-sensitive).`,
      );
    }
  }
}

/** A Sid: a string, letters and digits only in an identity policy, unique in the document. */
function checkSid({ sid }: Statement, ctx: DocumentContext, emit: Emit, sids: Map<string, LNode>): void {
  if (!sid) return;
  const value = ctx.resolve(sid.value);
  if (sid.value.kind !== 'string' && sid.value.kind !== 'intrinsic') {
    emit('InvalidSid', sid.value, 'A Sid must be a string.', 'Write "Sid": "AllowBackupWrites".');
    return;
  }
  if (value === undefined) return;
  if (ctx.kind === 'identity' && !/^[A-Za-z0-9]*$/.test(value)) {
    emit(
      'InvalidSid',
      sid.value,
      `Sid "${value}" has characters other than letters and digits; IAM rejects it.`,
      `Write it as "${value.replace(/[^A-Za-z0-9]/g, '')}".`,
    );
  }
  if (sids.has(value)) {
    emit(
      'DuplicateSid',
      sid.value,
      `Sid "${value}" is used by another statement.`,
      'Give every statement its own Sid.',
    );
  }
  sids.set(value, sid.value);
}

function checkEffect({ effectEntry, effect, at }: Statement, emit: Emit): void {
  if (!effectEntry) {
    emit('MalformedEffect', at, 'The statement has no "Effect".', 'Add "Effect": "Allow" or "Effect": "Deny".');
  } else if (effect !== undefined && effect !== 'Allow' && effect !== 'Deny') {
    emit(
      'MalformedEffect',
      effectEntry.value,
      `Effect ${JSON.stringify(effect)} is neither "Allow" nor "Deny".`,
      /^(allow|deny)$/i.test(effect)
        ? `Write "${effect[0]!.toUpperCase()}${effect.slice(1).toLowerCase()}" (case-sensitive).`
        : 'Use "Allow" or "Deny".',
    );
  }
}

/** Action or NotAction, Resource or NotResource: exactly one of each (no Resource in a trust policy). */
function checkElementPairs(st: Statement, ctx: DocumentContext, emit: Emit): void {
  const { action, notAction, resource, notResource, at } = st;
  if (action && notAction) {
    emit(
      'MalformedStatement',
      { start: notAction.keyStart, end: notAction.keyEnd },
      'A statement has either "Action" or "NotAction", not both.',
      'Remove one of them.',
    );
  } else if (!action && !notAction) {
    emit('MalformedStatement', at, 'The statement has no "Action".', 'Add "Action": ["service:Operation", …].');
  }
  if (resource && notResource) {
    emit(
      'MalformedStatement',
      { start: notResource.keyStart, end: notResource.keyEnd },
      'A statement has either "Resource" or "NotResource", not both.',
      'Remove one of them.',
    );
  } else if (!resource && !notResource && ctx.kind !== 'trust') {
    emit(
      'MalformedStatement',
      at,
      'The statement has no "Resource".',
      'Add "Resource": ["arn:aws:…"] naming what the actions apply to.',
    );
  }
}

/** None in an identity policy; elsewhere exactly one of Principal and NotPrincipal, well formed. */
function checkPrincipals(st: Statement, ctx: DocumentContext, emit: Emit): void {
  const { principal, notPrincipal } = st;
  if (ctx.kind === 'identity') {
    for (const p of [principal, notPrincipal]) {
      if (p) {
        emit(
          'MalformedPrincipal',
          { start: p.keyStart, end: p.keyEnd },
          `"${p.key}" is not allowed in an identity policy (one attached to a user, group or role): it applies to whoever holds it.`,
          `Remove "${p.key}", or put the statement in a resource policy (for example the bucket policy).`,
        );
      }
    }
    return;
  }
  if (principal && notPrincipal) {
    emit(
      'MalformedPrincipal',
      { start: notPrincipal.keyStart, end: notPrincipal.keyEnd },
      'A statement has either "Principal" or "NotPrincipal", not both.',
      'Remove one of them.',
    );
  } else if (!principal && !notPrincipal) {
    emit(
      'MalformedPrincipal',
      st.at,
      `A ${ctx.kind} policy statement needs a "Principal".`,
      'Add "Principal": {"AWS": ["arn:aws:iam::111122223333:role/name"]} naming who the statement applies to.',
    );
  }
  if (principal) checkPrincipal(principal.value, ctx, emit);
  if (notPrincipal) {
    checkPrincipal(notPrincipal.value, ctx, emit);
    if (st.allow) {
      emit(
        'AllowNotPrincipal',
        { start: notPrincipal.keyStart, end: notPrincipal.keyEnd },
        `NotPrincipal with Allow grants to everyone, anonymous users included, except ${listed(notPrincipal.value, ctx)}.`,
        'Name the principals in "Principal" instead.',
      );
    }
  }
}

/**
 * Actions: known services and actions, wildcards. With NotAction, the listed ones are what is
 * NOT granted: they are checked for spelling only.
 */
async function checkActions(st: Statement, ctx: DocumentContext, emit: Emit): Promise<StatementActions> {
  const { action, notAction, allow } = st;
  const actions: ResolvedAction[] = [];
  const excluded: ResolvedAction[] = [];
  const actionEntry = action ?? notAction;
  if (!actionEntry) return { actions, excluded };
  for (const node of stringList(actionEntry, emit, actionEntry.key)) {
    const text = ctx.resolve(node);
    if (text === undefined || hasPlaceholder(text)) continue;
    const resolved = await resolveAction(node, text, emit);
    if (resolved) (action ? actions : excluded).push(resolved);
    if (
      allow &&
      action &&
      (text === '*' || /^[a-z0-9-]+:\*$/i.test(text)) &&
      !isKeyPolicyDelegation(st.node, ctx, text)
    ) {
      emit(
        'WildcardAction',
        node,
        text === '*'
          ? 'Action "*" allows every action of every AWS service.'
          : `Action "${text}" allows every action of ${text.split(':')[0]}, including deleting and reconfiguring.`,
        'List only the actions needed; "coldkeep policy generate" writes the minimum for Coldkeep.',
      );
    }
  }
  return { actions, excluded };
}

/** What an Allow hands out: the granted actions' risks, or everything a NotAction leaves in. */
function checkAllowedActions(
  st: Statement,
  ctx: DocumentContext,
  { actions, excluded }: StatementActions,
  emit: Emit,
): void {
  const { allow, action, notAction } = st;
  if (allow && action) {
    // The key policy's delegation to the account (kms:* to root) hands the key to IAM, as intended.
    const delegated = actions.filter((a) => !isKeyPolicyDelegation(st.node, ctx, a.text));
    checkGrantedActions(delegated, st.condition?.value, emit);
  }
  if (allow && notAction) {
    const names = excluded.map((a) => a.text);
    const everythingBut = names.length === 1 && /^iam:\*$/i.test(names[0]!) ? ' (everything but IAM)' : '';
    const stillGranted = Object.keys(SENSITIVE)
      .filter((a) => !excluded.some((x) => x.text === '*' || actionMatches(x.text, a)))
      .slice(0, 4);
    emit(
      'AllowNotAction',
      { start: notAction.keyStart, end: notAction.keyEnd },
      `NotAction with Allow grants every action of every AWS service except ${names.join(', ') || 'the listed ones'}${everythingBut}, ` +
        `including actions AWS adds later${stillGranted.length ? ` and ${stillGranted.map(spelled).join(', ')}` : ''}.`,
      'List the actions to allow in "Action" instead.',
    );
  }
}

/** Resources: the shape of each ARN; returns each resource with its text (undefined: known only at deployment). */
function checkResources(st: Statement, ctx: DocumentContext, emit: Emit): StatementResources {
  const resources: StatementResources = [];
  const resourceEntry = st.resource ?? st.notResource;
  if (!resourceEntry) return resources;
  for (const node of stringList(resourceEntry, emit, resourceEntry.key)) {
    const text = ctx.resolve(node);
    resources.push({ node, text });
    if (text === undefined || hasPlaceholder(text)) continue;
    const problem = arnProblem(text);
    if (problem) {
      emit(
        'MalformedArn',
        node,
        `Resource "${text}" ${problem}.`,
        'Resources are ARNs such as arn:aws:s3:::bucket-name/* or arn:aws:dynamodb:us-east-1:111122223333:table/Orders, or "*".',
      );
    }
  }
  return resources;
}

/** How far the resources reach: NotResource with Allow, Resource "*", types that fit the actions. */
function checkResourceScope(
  st: Statement,
  ctx: DocumentContext,
  actions: ResolvedAction[],
  resources: StatementResources,
  emit: Emit,
): void {
  const { allow, action, resource, notResource } = st;
  if (notResource && allow) {
    const what = action ? actions.map((a) => a.text).join(', ') || 'the actions' : 'the actions';
    const but = resources.map((r) => r.text ?? '${…}').join(', ');
    emit(
      'AllowNotResource',
      { start: notResource.keyStart, end: notResource.keyEnd },
      `NotResource with Allow grants ${what} on every resource except ${but}, in every account it can reach.`,
      'List the resources in "Resource" instead.',
    );
  }
  if (allow && resource && ctx.kind === 'identity') {
    const star = resources.find((r) => r.text === '*');
    const scopable = actions.filter((a) => a.infos.some((i) => !i.wildcardOnly));
    if (star && scopable.length) {
      emit(
        'ResourceStar',
        star.node,
        `Resource "*" grants ${scopable.map((a) => a.text).join(', ')} on every resource of its kind, though ${scopable.length === 1 ? 'it' : 'they'} can be scoped to ARNs.`,
        'Name the ARNs (bucket, objects, table, key); keep "*" only for actions that support nothing else, in a statement of their own.',
      );
    }
  }
  if (resource && action && ctx.kind !== 'trust') checkResourceTypes(actions, resources, resource, emit);
}

/** Everyone, unconditionally. */
function checkPublic({ allow, principal, condition }: Statement, ctx: DocumentContext, emit: Emit): void {
  if (allow && principal && !condition && isEveryone(principal.value, ctx)) {
    emit(
      'PublicPrincipal',
      principal.value,
      'This statement allows anyone on the internet, without a condition.',
      'Name the principals (accounts, roles), or add a Condition such as aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID.',
    );
  }
}

/** "s3:PutObjectRetention" from the lower-case key of SENSITIVE, as the dataset spells it. */
function spelled(lower: string): string {
  const [service, name] = lower.split(':') as [string, string];
  return `${service}:${SPELLING[lower] ?? name}`;
}
const SPELLING: Record<string, string> = {
  's3:putobjectretention': 'PutObjectRetention',
  's3:putobjectlegalhold': 'PutObjectLegalHold',
  's3:bypassgovernanceretention': 'BypassGovernanceRetention',
  's3:putbucketobjectlockconfiguration': 'PutBucketObjectLockConfiguration',
  's3:putobjectacl': 'PutObjectAcl',
  's3:putobjectversionacl': 'PutObjectVersionAcl',
  's3:putbucketacl': 'PutBucketAcl',
  's3:putbucketpolicy': 'PutBucketPolicy',
  's3:deletebucketpolicy': 'DeleteBucketPolicy',
  's3:putlifecycleconfiguration': 'PutLifecycleConfiguration',
  's3:putbucketversioning': 'PutBucketVersioning',
  's3:deleteobjectversion': 'DeleteObjectVersion',
  's3:deletebucket': 'DeleteBucket',
  'kms:schedulekeydeletion': 'ScheduleKeyDeletion',
  'kms:disablekey': 'DisableKey',
  'kms:putkeypolicy': 'PutKeyPolicy',
  'dynamodb:deletetable': 'DeleteTable',
  'dynamodb:deletebackup': 'DeleteBackup',
  'iam:passrole': 'PassRole',
};

/** The principals a NotPrincipal lists, as text. */
function listed(node: LNode, ctx: DocumentContext): string {
  const values: string[] = [];
  const visit = (n: LNode): void => {
    if (n.kind === 'object') n.entries.forEach((e) => visit(e.value));
    else if (n.kind === 'array') n.items.forEach(visit);
    else values.push(ctx.resolve(n) ?? '${…}');
  };
  visit(node);
  return values.length ? values.join(', ') : 'the listed principals';
}

/** What an Allow's actions really grant: wildcards expanded, ACL actions, unrestricted listings. */
function checkGrantedActions(actions: ResolvedAction[], condition: LNode | undefined, emit: Emit): void {
  const conditionKeys = new Set<string>();
  if (condition?.kind === 'object') {
    for (const op of condition.entries) {
      if (op.value.kind === 'object') op.value.entries.forEach((k) => conditionKeys.add(k.key.toLowerCase()));
    }
  }
  for (const a of actions) {
    const granted = a.infos.map((i) => i.name.toLowerCase());
    const partial = a.wildcard && a.text !== '*' && !/^[a-z0-9-]+:\*$/i.test(a.text);
    if (a.wildcard && a.infos.length) {
      const sensitive = a.infos.filter((i) => SENSITIVE[i.name.toLowerCase()]);
      if (sensitive.length) {
        const shown = a.infos.length <= 8 ? ` (${a.infos.map((i) => i.name).join(', ')})` : '';
        emit(
          'SensitiveWildcard',
          a.node,
          `"${a.text}" grants ${a.infos.length} actions${shown}, among them ${sensitive
            .map((i) => `${i.name}, which ${SENSITIVE[i.name.toLowerCase()]}`)
            .join('; ')}.`,
          `List the actions needed instead of "${a.text}"; "coldkeep policy generate" writes the minimum for Coldkeep.`,
        );
      }
    }
    if (!a.wildcard || partial) {
      const acl = a.infos.filter((i) => ACL_ACTIONS.has(i.name.toLowerCase()));
      if (acl.length) {
        emit(
          'AclOnOwnerEnforced',
          a.node,
          `${acl.map((i) => i.name).join(', ')} ${acl.length === 1 ? 'sets an ACL' : 'set ACLs'}: on a bucket with bucket-owner-enforced ownership (the default for buckets created since April 2023, and Coldkeep's backup bucket) ACLs are disabled, so the request is refused (AccessControlListNotSupported), and where ACLs still work they hand objects to other accounts.`,
          'Remove the ACL actions; grant access with the bucket policy or IAM policies instead.',
        );
      }
    }
    if (granted.includes('s3:listbucket') && !conditionKeys.has('s3:prefix')) {
      emit(
        'ListBucketWithoutPrefix',
        a.node,
        `${a.wildcard ? `"${a.text}" includes s3:ListBucket` : 's3:ListBucket'} without an s3:prefix condition: the whole bucket can be listed, not only the backups' prefix.`,
        'Add "Condition": {"StringLike": {"s3:prefix": ["coldkeep/*"]}} (your prefix); "coldkeep policy generate" does.',
      );
    }
  }
}

/** Whether a statement denies requests made without TLS. */
function deniesInsecureTransport(statement: LNode, ctx: DocumentContext): boolean {
  const effect = member(statement, 'Effect');
  if (!effect || ctx.resolve(effect) !== 'Deny') return false;
  const condition = member(statement, 'Condition');
  if (condition?.kind !== 'object') return false;
  return condition.entries.some((op) => {
    if (!/^Bool(IfExists)?$/.test(op.key) || op.value.kind !== 'object') return false;
    return op.value.entries.some((k) => {
      if (k.key.toLowerCase() !== 'aws:securetransport') return false;
      const values = k.value.kind === 'array' ? k.value.items : [k.value];
      return values.some((v) => ctx.resolve(v)?.toLowerCase() === 'false');
    });
  });
}

/** Whether a resource policy names S3 ARNs only (a bucket policy, as far as the text tells). */
function onS3Only(statements: LNode[], ctx: DocumentContext): boolean {
  const texts = statements.flatMap((s) => {
    const r = member(s, 'Resource') ?? member(s, 'NotResource');
    const items = r?.kind === 'array' ? r.items : r ? [r] : [];
    return items.map((i) => ctx.resolve(i));
  });
  return texts.length > 0 && texts.every((t) => t !== undefined && t.startsWith('arn:') && t.split(':')[2] === 's3');
}

/** The key policy's usual first statement: the account root gets kms:* so that IAM policies can grant use of the key. */
function isKeyPolicyDelegation(statement: LNode, ctx: DocumentContext, action: string): boolean {
  if (ctx.kind !== 'resource' || action.toLowerCase() !== 'kms:*') return false;
  const p = member(statement, 'Principal');
  const aws = member(p, 'AWS');
  const values = aws?.kind === 'array' ? aws.items : aws ? [aws] : [];
  return (
    values.length > 0 &&
    values.every((v) => {
      const text = ctx.resolve(v);
      return text === undefined || /^arn:[a-z-]+:iam::(\d{12}|\uE000):root$/.test(text) || /^\d{12}$/.test(text);
    })
  );
}

function hasPlaceholder(text: string): boolean {
  return PLACEHOLDERS.some((p) => p.re.test(text));
}

function checkPlaceholders(node: LNode, ctx: DocumentContext, emit: Emit): void {
  const visit = (n: LNode): void => {
    if (n.kind === 'string') {
      const hit = PLACEHOLDERS.find((p) => (!p.plainJsonOnly || !ctx.inTemplate) && p.re.test(n.value));
      if (hit) {
        const text = hit.re.exec(n.value)![0];
        emit(
          'Placeholder',
          n,
          `"${text}" is ${hit.what}: the policy still has a value to fill in.`,
          `Replace "${text}" with the real value${hit.plainJsonOnly ? ' (pseudo parameters work only inside a CloudFormation !Sub)' : ''}.`,
        );
      }
    } else if (n.kind === 'object') n.entries.forEach((e) => visit(e.value));
    else if (n.kind === 'array') n.items.forEach(visit);
    else if (n.kind === 'intrinsic') visit(n.arg);
  };
  visit(node);
}

async function resolveAction(node: LNode, text: string, emit: Emit): Promise<ResolvedAction | undefined> {
  if (text === '*') return { node, text, infos: [], wildcard: true };
  const match = /^([^:]+):(.+)$/.exec(text);
  if (!match) {
    emit(
      'UnknownAction',
      node,
      `"${text}" is not an action: actions are written "service:Operation".`,
      'For example "s3:GetObject" or "dynamodb:Scan".',
    );
    return undefined;
  }
  const [, service, name] = match as unknown as [string, string, string];
  if (!(await serviceExists(service))) {
    emit(
      'UnknownService',
      node,
      `"${service}" is not the prefix of an AWS service.`,
      'Check the spelling against the Service Authorization Reference (for example "s3", "dynamodb", "kms").',
    );
    return undefined;
  }
  if (/[*?]/.test(name)) {
    const names = await actionsMatching(service, name);
    if (names.length === 0) {
      emit(
        'UnknownAction',
        node,
        `"${text}" matches no ${service} action.`,
        'Check the spelling; action names are listed in the Service Authorization Reference.',
      );
      return undefined;
    }
    const infos = (await Promise.all(names.map((n) => actionInfo(service, n)))).filter((i): i is ActionInfo => !!i);
    return { node, text, infos, wildcard: true };
  }
  const info = await actionInfo(service, name);
  if (!info) {
    emit(
      'UnknownAction',
      node,
      `${service} has no action "${name}".`,
      'Check the spelling; action names are listed in the Service Authorization Reference.',
    );
    return undefined;
  }
  return { node, text, infos: [info], wildcard: false };
}

const S3_BUCKET = 'arn:${Partition}:s3:::${BucketName}';
const S3_OBJECT = 'arn:${Partition}:s3:::${BucketName}/${ObjectName}';

function checkResourceTypes(
  actions: ResolvedAction[],
  resources: { node: LNode; text: string | undefined }[],
  resourceEntry: LEntry,
  emit: Emit,
): void {
  if (resources.length === 0 || resources.some((r) => r.text === undefined || hasPlaceholder(r.text))) return;
  const texts = resources.map((r) => r.text!);
  const where = resources.length === 1 ? resources[0]!.node : resourceEntry.value;
  const matches = (info: ActionInfo): boolean =>
    info.wildcardOnly || info.resourceTypes.some((rt) => texts.some((t) => resourceMatchesTemplate(t, rt.arn)));
  for (const a of actions) {
    if (a.infos.length === 0 || a.infos.some(matches)) continue;
    const shown = texts.join(', ');
    if (!a.wildcard && a.infos[0]!.service === 's3') {
      const info = a.infos[0]!;
      const types = info.resourceTypes.map((rt) => rt.name);
      const bucketArn = texts.find((t) => resourceMatchesTemplate(t, S3_BUCKET));
      const objectArn = texts.find((t) => resourceMatchesTemplate(t, S3_OBJECT));
      if (types.includes('object') && !types.includes('bucket') && bucketArn) {
        emit(
          'ObjectActionOnBucket',
          where,
          `${a.text} acts on objects, but ${shown} names the bucket itself, so it grants nothing.`,
          `Add the objects' ARN: "${bucketArn.replace(/\/$/, '')}/*" (or a prefix: "${bucketArn}/backups/*").`,
        );
        continue;
      }
      if (types.includes('bucket') && !types.includes('object') && objectArn) {
        const bucket = objectArn.replace(/\/.*$/, '');
        emit(
          'BucketActionOnObject',
          where,
          `${a.text} acts on the bucket, but ${shown} names objects in it, so it grants nothing.`,
          `Add the bucket's ARN without "/…": "${bucket}".`,
        );
        continue;
      }
    }
    const wanted = [...new Set(a.infos.flatMap((i) => i.resourceTypes.map((rt) => rt.arn)))].slice(0, 4);
    emit(
      'ResourceMismatch',
      where,
      `${a.text} applies to none of ${shown}.`,
      `It applies to resources like ${wanted.join(' or ')}.`,
    );
  }
}

function checkPrincipal(node: LNode, ctx: DocumentContext, emit: Emit): void {
  if (node.kind === 'intrinsic') return;
  if (node.kind === 'string') {
    if (node.value !== '*') {
      emit(
        'MalformedPrincipal',
        node,
        `Principal "${node.value}" must be "*" or an object such as {"AWS": "…"}.`,
        'Write "Principal": {"AWS": "arn:aws:iam::111122223333:role/name"} (or "Service": "….amazonaws.com").',
      );
    }
    return;
  }
  if (node.kind !== 'object') {
    emit(
      'MalformedPrincipal',
      node,
      'Principal must be "*" or an object.',
      'Write "Principal": {"AWS": ["arn:…", "arn:…"]}.',
    );
    return;
  }
  for (const e of node.entries) {
    if (!PRINCIPAL_KEYS.includes(e.key)) {
      emit(
        'MalformedPrincipal',
        { start: e.keyStart, end: e.keyEnd },
        `"${e.key}" is not a principal type.`,
        `Principal types are ${PRINCIPAL_KEYS.join(', ')}.`,
      );
      continue;
    }
    const values = e.value.kind === 'array' ? e.value.items : [e.value];
    for (const v of values) {
      if (v.kind === 'intrinsic') continue;
      if (v.kind !== 'string') {
        emit(
          'MalformedPrincipal',
          v,
          `${e.key} principals are strings.`,
          'Put each principal in double quotes, several in a list.',
        );
        continue;
      }
      const text = ctx.resolve(v) ?? v.value;
      if (hasPlaceholder(text)) continue;
      if (e.key === 'AWS' && !validAwsPrincipal(text)) {
        emit(
          'MalformedPrincipal',
          v,
          `"${text}" is not an AWS principal.`,
          /[*?]/.test(text) && text !== '*'
            ? 'Wildcards are not allowed in principal ARNs; use Principal "*" with a Condition on aws:PrincipalArn.'
            : 'Use an account ID (111122223333), an account root (arn:aws:iam::111122223333:root), a role or user ARN, or "*".',
        );
      }
      if (e.key === 'Service' && !/^([a-z0-9-]+\.)+amazonaws\.com(\.cn)?$/.test(text) && text !== '*') {
        emit(
          'MalformedPrincipal',
          v,
          `"${text}" is not a service principal.`,
          'Service principals look like "cloudtrail.amazonaws.com".',
        );
      }
    }
  }
}

function validAwsPrincipal(text: string): boolean {
  if (text === '*' || /^\d{12}$/.test(text)) return true;
  const u = '\uE000';
  return new RegExp(
    `^arn:[a-z-]+:(iam::(\\d{12}|${u}):(root|user/[^*?]+|role/[^*?]+|federated-user/[^*?]+)|sts::(\\d{12}|${u}):(assumed-role/[^*?]+|federated-user/[^*?]+))$`,
  ).test(text);
}

function isEveryone(node: LNode, ctx: DocumentContext): boolean {
  if (node.kind === 'string') return node.value === '*';
  const aws = member(node, 'AWS');
  const values = aws?.kind === 'array' ? aws.items : aws ? [aws] : [];
  return values.some((v) => ctx.resolve(v) === '*');
}

function operatorFamily(op: string): string {
  const base = op.replace(/^(ForAllValues|ForAnyValue):/, '').replace(/IfExists$/, '');
  if (base === 'Null') return 'null';
  if (base === 'Bool') return 'bool';
  if (base.startsWith('String')) return 'string';
  if (base.startsWith('Numeric')) return 'numeric';
  if (base.startsWith('Date')) return 'date';
  if (base.startsWith('Arn')) return 'arn';
  if (base.includes('IpAddress')) return 'ip';
  return 'binary';
}

function typeFits(family: string, type: string): boolean {
  const t = type.replace(/^ArrayOf/, '');
  switch (family) {
    case 'bool':
      return t === 'Bool';
    case 'numeric':
      return t === 'Numeric';
    case 'date':
      return t === 'Date';
    case 'ip':
      return t === 'IPAddress';
    case 'string':
      return t === 'String' || t === 'ARN';
    case 'arn':
      return t === 'ARN' || t === 'String';
    default:
      return true;
  }
}

async function checkCondition(
  node: LNode,
  actions: ResolvedAction[],
  effect: string | undefined,
  emit: Emit,
): Promise<void> {
  if (node.kind === 'intrinsic') return;
  if (node.kind !== 'object') {
    emit(
      'MalformedCondition',
      node,
      'Condition must be an object: {"Operator": {"key": value}}.',
      'For example "Condition": {"Bool": {"aws:SecureTransport": "false"}}.',
    );
    return;
  }
  for (const op of node.entries) {
    const match = OPERATOR.exec(op.key);
    if (!match) {
      emit(
        'MalformedCondition',
        { start: op.keyStart, end: op.keyEnd },
        `"${op.key}" is not a condition operator.`,
        'Operators include StringEquals, StringLike, ArnLike, Bool, NumericLessThan, DateGreaterThan, IpAddress, Null (with IfExists, ForAnyValue:, ForAllValues:).',
      );
      continue;
    }
    if (op.value.kind === 'intrinsic') continue;
    if (op.value.kind !== 'object') {
      emit(
        'MalformedCondition',
        op.value,
        `The value of ${op.key} must be an object of condition keys.`,
        `Write "${op.key}": {"aws:SourceAccount": "111122223333"}.`,
      );
      continue;
    }
    const family = operatorFamily(op.key);
    for (const k of op.value.entries) {
      const keyNode = { start: k.keyStart, end: k.keyEnd };
      const values = k.value.kind === 'array' ? k.value.items : [k.value];
      if (values.some((v) => v.kind === 'object' || v.kind === 'null')) {
        emit(
          'MalformedCondition',
          k.value,
          `The value of ${k.key} must be a string, a number, a boolean or a list of them.`,
          'Write "key": "value" or "key": ["a", "b"].',
        );
        continue;
      }
      const texts = values.map((v) => (v.kind === 'intrinsic' ? undefined : String((v as { value: unknown }).value)));
      if (
        (family === 'null' || family === 'bool') &&
        texts.some((t) => t !== undefined && t !== 'true' && t !== 'false')
      ) {
        emit(
          'MalformedCondition',
          k.value,
          `${op.key} takes "true" or "false".`,
          `Write "${k.key}": "${family === 'null' ? 'true' : 'false'}".`,
        );
      }
      const info = await conditionKeyInfo(k.key);
      if (!info) {
        emit(
          'UnknownConditionKey',
          keyNode,
          `"${k.key}" is not a global or service condition key.`,
          'Check the spelling (keys are "service:Name", e.g. aws:SecureTransport, s3:prefix, kms:ViaService).',
        );
        continue;
      }
      if (family !== 'null' && !typeFits(family, info.type)) {
        emit(
          'ConditionTypeMismatch',
          { start: op.keyStart, end: op.keyEnd },
          `${op.key} compares as ${family}, but ${k.key} is of type ${info.type}.`,
          `Use an operator for ${info.type.replace(/^ArrayOf/, '')} values.`,
        );
      }
      if (k.key.toLowerCase() === 'aws:multifactorauthpresent' && op.key === 'Bool' && texts.includes('false')) {
        emit(
          'MfaBadPattern',
          keyNode,
          `"Bool": {"aws:MultiFactorAuthPresent": "false"} never matches requests made with long-term access keys: they carry no such key at all${effect === 'Deny' ? ', so the Deny does not apply to them' : ''}.`,
          'Use "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"} in a Deny (or "Bool": {…: "true"} in an Allow).',
        );
      }
      const service = k.key.split(':')[0]!.toLowerCase();
      if (service !== 'aws') {
        const sameService = actions.flatMap((a) => a.infos).filter((i) => i.service === service);
        const explicit = actions.every((a) => !a.wildcard);
        if (
          explicit &&
          sameService.length &&
          !sameService.some((i) => i.conditionKeys.some((c) => conditionKeyCovers(c, k.key)))
        ) {
          emit(
            'ConditionKeyNotForAction',
            keyNode,
            `${k.key} is not a condition key of ${sameService.map((i) => i.name).join(', ')}: the condition never matches as intended.`,
            'Check which keys each action supports in the Service Authorization Reference.',
          );
        }
      }
    }
  }
}
