import { resourceArnPlaceholder, UNKNOWN_NAME } from './arn';
import {
  type LEntry,
  type LNode,
  member,
  parseJsonLocated,
  parseYamlLocated,
  toPlain,
  withIntrinsics,
} from './located';

/**
 * Evaluates a CloudFormation template's intrinsic functions the way CloudFormation does at
 * deployment, for given parameter values (defaults fill the rest): Ref (parameters, pseudo
 * parameters, resources), Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If with the template's
 * Conditions (Fn::Equals/Not/And/Or/Condition), Fn::FindInMap, AWS::NoValue, and resources whose
 * Condition is false are left out. What is known only after deployment (a resource's name, a
 * Fn::GetAtt, a parameter without value) becomes a placeholder holding UNKNOWN_NAME; a function
 * that cannot be decided stays an intrinsic node. Resolved values keep the source range of the
 * function that made them, so findings still point at the template's text.
 *
 * cfn-resolver-lib (npm) was tried first: it loses the source positions the linter needs, takes
 * no parameter defaults, and leaves pseudo parameters unreplaced in Fn::Sub's two-argument form.
 */

export interface ResolveEnvironment {
  /** Parameter values as given to CloudFormation (a CommaDelimitedList as "a,b" or a list). */
  parameters?: Record<string, string | string[]>;
  /** AWS::AccountId, AWS::Region, AWS::Partition, AWS::StackName…; unknown when absent (Partition: aws). */
  pseudo?: Record<string, string>;
}

/** A template CloudFormation would refuse, as CloudFormation says it. */
export class TemplateResolveError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
    this.name = 'TemplateResolveError';
  }
}

const NO_VALUE = Symbol('AWS::NoValue');
type Value = LNode | typeof NO_VALUE;

const U = UNKNOWN_NAME;

/** Placeholders of resource attributes: ARNs of the right shape with unknown names. */
function attributePlaceholder(type: string | undefined, attribute: string | undefined): string {
  if (attribute !== 'Arn') return attribute?.endsWith('Name') ? U : `${U}${attribute ?? ''}`;
  return resourceArnPlaceholder(type) ?? '*';
}

export function resolveTemplate(template: LNode, env: ResolveEnvironment = {}): LNode {
  const parameters = member(template, 'Parameters');
  const resources = member(template, 'Resources');
  const conditions = member(template, 'Conditions');
  const mappings = member(template, 'Mappings');
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::AccountId': U,
    'AWS::Region': U,
    'AWS::StackName': U,
    'AWS::StackId': `arn:aws:cloudformation:${U}:${U}:stack/${U}/${U}`,
    ...env.pseudo,
  };
  if (env.pseudo?.['AWS::Partition'] === 'aws-cn') pseudo['AWS::URLSuffix'] = 'amazonaws.com.cn';

  const str = (at: LNode, value: string): LNode => ({ kind: 'string', start: at.start, end: at.end, value });
  const list = (at: LNode, values: string[]): LNode => ({
    kind: 'array',
    start: at.start,
    end: at.end,
    items: values.map((v) => str(at, v)),
  });
  const fail = (at: LNode, message: string): never => {
    throw new TemplateResolveError(`Template error: ${message}`, at.start, at.end);
  };
  const text = (n: LNode): string | undefined =>
    n.kind === 'string' ? n.value : n.kind === 'number' || n.kind === 'boolean' ? String(n.value) : undefined;
  const texts = (n: LNode): string[] | undefined => {
    if (n.kind !== 'array') return undefined;
    const out = n.items.map(text);
    return out.every((t) => t !== undefined) ? (out as string[]) : undefined;
  };

  const parameterValue = (at: LNode, name: string): LNode | undefined => {
    const declared = member(parameters, name);
    if (!declared) return undefined;
    const type = text(member(declared, 'Type') ?? str(at, 'String')) ?? 'String';
    const isList = type === 'CommaDelimitedList' || type.startsWith('List<');
    const given = env.parameters?.[name];
    const fallback = member(declared, 'Default');
    const raw = given !== undefined ? given : fallback ? text(fallback) : undefined;
    if (raw === undefined) return isList ? list(at, [U]) : str(at, U);
    if (isList) return list(at, Array.isArray(raw) ? raw : raw === '' ? [] : raw.split(',').map((s) => s.trim()));
    return str(at, Array.isArray(raw) ? raw.join(',') : raw);
  };
  const typeOf = (logicalId: string): string | undefined => {
    const t = member(member(resources, logicalId), 'Type');
    return t ? text(t) : undefined;
  };
  const ref = (at: LNode, name: string): Value => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name === 'AWS::NotificationARNs') return list(at, []);
    if (name in pseudo) return str(at, pseudo[name]!);
    const p = parameterValue(at, name);
    if (p) return p;
    if (member(resources, name)) return str(at, U);
    return fail(at, `Unresolved resource dependencies [${name}] in the Resources block of the template`);
  };
  const getAtt = (at: LNode, target: string): LNode => {
    const [id, ...rest] = target.split('.');
    if (!member(resources, id!)) fail(at, `Fn::GetAtt names ${id}, which is not a resource of the template`);
    return str(at, attributePlaceholder(typeOf(id!), rest.join('.')));
  };

  const conditionCache = new Map<string, boolean | undefined>();
  const condition = (at: LNode, name: string): boolean | undefined => {
    if (conditionCache.has(name)) return conditionCache.get(name);
    const node = member(conditions, name);
    if (!node) return fail(at, `Unresolved condition dependency ${name}`);
    conditionCache.set(name, undefined);
    const result = truth(node);
    conditionCache.set(name, result);
    return result;
  };
  /** A condition function's value; undefined when it depends on what is known only at deployment. */
  const truth = (node: LNode): boolean | undefined => {
    if (node.kind === 'boolean') return node.value;
    if (node.kind === 'string' && (node.value === 'true' || node.value === 'false')) return node.value === 'true';
    if (node.kind !== 'intrinsic') return fail(node, 'a condition must be a condition function');
    const args = node.arg.kind === 'array' ? node.arg.items : [node.arg];
    switch (node.fn) {
      case 'Condition':
        return condition(node, text(node.arg) ?? fail(node, 'Condition takes a condition name'));
      case 'Not': {
        const v = truth(args[0] ?? fail(node, 'Fn::Not takes one condition'));
        return v === undefined ? undefined : !v;
      }
      case 'And':
      case 'Or': {
        const values = args.map(truth);
        if (node.fn === 'And') return values.includes(false) ? false : values.includes(undefined) ? undefined : true;
        return values.includes(true) ? true : values.includes(undefined) ? undefined : false;
      }
      case 'Equals': {
        const [a, b] = args.map((x) => resolve(x));
        if (!a || !b || a === NO_VALUE || b === NO_VALUE) return fail(node, 'Fn::Equals takes two values');
        const ta = text(a);
        const tb = text(b);
        if (ta === undefined || tb === undefined || ta.includes(U) || tb.includes(U)) return undefined;
        return ta === tb;
      }
      default:
        return fail(node, `Fn::${node.fn} is not a condition function`);
    }
  };

  const sub = (node: LNode & { kind: 'intrinsic' }): LNode => {
    const arg = node.arg;
    const source = arg.kind === 'array' ? arg.items[0] : arg;
    if (source?.kind !== 'string') return fail(node, 'Fn::Sub takes a literal string (and a map of variables)');
    const variables = new Map<string, LNode>();
    const map = arg.kind === 'array' ? arg.items[1] : undefined;
    if (map) {
      if (map.kind !== 'object') return fail(map, "Fn::Sub's variables must be a map");
      for (const e of map.entries) {
        const v = resolve(e.value);
        if (v === NO_VALUE) return fail(e.value, `Fn::Sub variable ${e.key} is AWS::NoValue`);
        variables.set(e.key, v);
      }
    }
    let unresolved = false;
    const out = source.value.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      const value =
        variables.get(name) ?? (name.includes('.') && !name.startsWith('AWS::') ? getAtt(node, name) : ref(node, name));
      if (value === NO_VALUE) return '';
      const t = text(value);
      if (t === undefined) {
        if (value.kind === 'array') fail(node, `Fn::Sub variable ${name} is a list, not a string`);
        unresolved = true;
        return whole;
      }
      return t;
    });
    return unresolved ? { ...node, arg: resolveChildren(arg) as LNode } : str(node, out);
  };

  const intrinsic = (node: LNode & { kind: 'intrinsic' }): Value => {
    const arg = node.arg;
    const args = arg.kind === 'array' ? arg.items : [];
    switch (node.fn) {
      case 'Ref':
        return ref(node, text(arg) ?? fail(node, 'Ref takes a name'));
      case 'GetAtt': {
        const target = arg.kind === 'array' ? texts(arg)?.join('.') : text(arg);
        return getAtt(node, target ?? fail(node, 'Fn::GetAtt takes LogicalId.Attribute'));
      }
      case 'Sub':
        return sub(node);
      case 'Join': {
        const [delimiter, values] = args;
        // CloudFormation takes only a literal string as the delimiter (cfn-lint E1018).
        if (delimiter?.kind !== 'string')
          return fail(delimiter ?? node, 'Fn::Join requires a literal string delimiter');
        if (!values) return fail(node, 'Fn::Join takes a delimiter and a list');
        const resolved = resolve(values);
        const parts = resolved === NO_VALUE ? [] : resolved.kind === 'array' ? resolved.items : undefined;
        const strings = parts?.map(text);
        if (!strings || strings.some((s) => s === undefined)) return { ...node, arg: resolveChildren(arg) as LNode };
        return str(node, strings.join(delimiter.value));
      }
      case 'Split': {
        const [delimiter, source] = args;
        if (delimiter?.kind !== 'string')
          return fail(delimiter ?? node, 'Fn::Split requires a literal string delimiter');
        const resolved = source ? resolve(source) : undefined;
        const t = resolved && resolved !== NO_VALUE ? text(resolved) : undefined;
        if (t === undefined) return { ...node, arg: resolveChildren(arg) as LNode };
        return list(node, t.split(delimiter.value));
      }
      case 'Select': {
        const [index, values] = args;
        const i = index ? resolve(index) : undefined;
        const n = i && i !== NO_VALUE ? Number(text(i)) : NaN;
        const resolved = values ? resolve(values) : undefined;
        if (!Number.isInteger(n) || !resolved || resolved === NO_VALUE || resolved.kind !== 'array')
          return { ...node, arg: resolveChildren(arg) as LNode };
        return resolved.items[n] ?? fail(node, `Fn::Select index ${n} is out of bounds`);
      }
      case 'If': {
        const [name, yes, no] = args;
        if (!name || !yes || !no) return fail(node, 'Fn::If takes a condition name and two values');
        const decided = condition(node, text(name) ?? fail(name, 'Fn::If takes a condition name'));
        if (decided === undefined) return { ...node, arg: resolveChildren(arg) as LNode };
        return resolve(decided ? yes : no);
      }
      case 'FindInMap': {
        const keys = args.map((a) => {
          const v = resolve(a);
          return v === NO_VALUE ? undefined : text(v);
        });
        if (keys.length < 3 || keys.some((k) => k === undefined || k.includes(U)))
          return { ...node, arg: resolveChildren(arg) as LNode };
        const found = member(member(member(mappings, keys[0]!), keys[1]!), keys[2]!);
        return found ?? fail(node, `Fn::FindInMap: ${keys.slice(0, 3).join('.')} is not in Mappings`);
      }
      default:
        // Base64, GetAZs, ImportValue, Cidr…: known at deployment only.
        return { ...node, arg: resolveChildren(arg) as LNode };
    }
  };

  const resolveChildren = (node: LNode): Value => {
    if (node.kind === 'object') {
      const entries: LEntry[] = [];
      for (const e of node.entries) {
        const v = resolve(e.value);
        if (v !== NO_VALUE) entries.push({ ...e, value: v });
      }
      return { ...node, entries };
    }
    if (node.kind === 'array') {
      const items: LNode[] = [];
      for (const item of node.items) {
        const v = resolve(item);
        if (v !== NO_VALUE) items.push(v);
      }
      return { ...node, items };
    }
    return node;
  };
  const resolve = (node: LNode): Value => (node.kind === 'intrinsic' ? intrinsic(node) : resolveChildren(node));

  if (template.kind !== 'object') return template;
  const entries: LEntry[] = [];
  for (const section of template.entries) {
    if (section.key === 'Resources' && section.value.kind === 'object') {
      const kept: LEntry[] = [];
      for (const r of section.value.entries) {
        const when = member(r.value, 'Condition');
        if (when && condition(when, text(when) ?? fail(when, 'a resource Condition is a condition name')) === false)
          continue;
        const v = resolve(r.value);
        if (v !== NO_VALUE) kept.push({ ...r, value: v });
      }
      entries.push({ ...section, value: { ...section.value, entries: kept } });
    } else if (section.key === 'Outputs') {
      const v = resolve(section.value);
      if (v !== NO_VALUE) entries.push({ ...section, value: v });
    } else {
      // Parameters, Conditions, Mappings, Metadata, Rules: kept as written.
      entries.push(section);
    }
  }
  return { ...template, entries };
}

/**
 * A template's text (YAML with short-form tags, or JSON) resolved as CloudFormation would deploy
 * it, as plain data: what the stack would create, for tests and previews. Throws
 * TemplateResolveError where CloudFormation would refuse the template.
 */
export function resolveTemplateText(body: string, env: ResolveEnvironment = {}): Record<string, unknown> {
  const parsed = /^\s*\{/.test(body) ? parseJsonLocated(body) : parseYamlLocated(body);
  if (!parsed.root || parsed.problems.length) {
    throw new TemplateResolveError(`Template format error: ${parsed.problems[0]?.message ?? 'empty'}`, 0, 1);
  }
  return toPlain(resolveTemplate(withIntrinsics(parsed.root), env)) as Record<string, unknown>;
}
