import type { TemplateDocument } from './templateDocument';

/** One entry of a template's `Parameters`, as a front end needs it to build a form. */
export interface TemplateParameter {
  name: string;
  /** CloudFormation's type: String, Number, CommaDelimitedList, List<Number>, AWS::… */
  type: string;
  description: string;
  /** Parameter values are text in CloudFormation; numbers and lists too. */
  default?: string;
  /** No default: a value must be given on the first deploy. */
  required: boolean;
  allowedValues?: string[];
  allowedPattern?: string;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  constraintDescription?: string;
  noEcho?: boolean;
  /** The label of the parameter group (AWS::CloudFormation::Interface) it belongs to. */
  group?: string;
  /** Filled in by the deploy itself (e.g. the uploaded Lambda bundle's key); not for a form. */
  filledByDeploy?: boolean;
}

/** What is wrong with one given value; `parameter` is empty for a rule over several. */
export interface ParameterProblem {
  parameter: string;
  code: 'Unknown' | 'Missing' | 'Type' | 'AllowedValues' | 'Pattern' | 'Length' | 'Range' | 'Rule';
  message: string;
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

export function templateParametersOf(document: TemplateDocument, filledByDeploy: string[] = []): TemplateParameter[] {
  const groups = new Map<string, string>();
  const iface = document.Metadata?.['AWS::CloudFormation::Interface'] as
    { ParameterGroups?: { Label?: { default?: string }; Parameters?: string[] }[] } | undefined;
  for (const group of iface?.ParameterGroups ?? []) {
    for (const p of group.Parameters ?? []) if (group.Label?.default) groups.set(p, group.Label.default);
  }
  return Object.entries(document.Parameters ?? {}).map(([name, raw]) => {
    const p: TemplateParameter = {
      name,
      type: text(raw.Type) ?? 'String',
      description: text(raw.Description)?.trim() ?? '',
      required: raw.Default === undefined,
    };
    const def = text(raw.Default);
    if (def !== undefined) p.default = def;
    if (Array.isArray(raw.AllowedValues)) p.allowedValues = raw.AllowedValues.map((v) => text(v) ?? '');
    const pattern = text(raw.AllowedPattern);
    if (pattern !== undefined) p.allowedPattern = pattern;
    for (const [key, field] of [
      ['MinLength', 'minLength'],
      ['MaxLength', 'maxLength'],
      ['MinValue', 'minValue'],
      ['MaxValue', 'maxValue'],
    ] as const) {
      const value = num(raw[key]);
      if (value !== undefined) p[field] = value;
    }
    const constraint = text(raw.ConstraintDescription);
    if (constraint) p.constraintDescription = constraint;
    if (raw.NoEcho === true || raw.NoEcho === 'true') p.noEcho = true;
    const group = groups.get(name);
    if (group) p.group = group;
    if (filledByDeploy.includes(name)) p.filledByDeploy = true;
    return p;
  });
}

const isList = (type: string): boolean => type === 'CommaDelimitedList' || /^List<.+>$/.test(type);
const isNumeric = (type: string): boolean => type === 'Number' || type === 'List<Number>';
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Checks one value against its declaration, as CloudFormation would before it creates anything. */
export function checkParameterValue(p: TemplateParameter, value: string): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  const add = (code: ParameterProblem['code'], message: string): void => {
    problems.push({
      parameter: p.name,
      code,
      message: p.constraintDescription ? `${message} (${p.constraintDescription.replace(/\.$/, '')})` : message,
    });
  };
  const items = isList(p.type) ? value.split(',').map((v) => v.trim()) : [value];
  if (isList(p.type) && items.some((v) => v === '') && value !== '') {
    add('Type', `${p.name} has an empty item in "${value}"`);
  }
  for (const item of isList(p.type) && value === '' ? [] : items) {
    const label = isList(p.type) ? `item "${item}" of ${p.name}` : `${p.name} "${item}"`;
    if (isNumeric(p.type)) {
      if (!NUMBER.test(item)) {
        add('Type', `${label} is not a number`);
        continue;
      }
      const n = Number(item);
      if (p.minValue !== undefined && n < p.minValue) add('Range', `${label} is below the minimum ${p.minValue}`);
      if (p.maxValue !== undefined && n > p.maxValue) add('Range', `${label} is above the maximum ${p.maxValue}`);
      if (p.allowedValues && !p.allowedValues.some((a) => Number(a) === n)) {
        add('AllowedValues', `${label} is not one of ${p.allowedValues.join(', ')}`);
      }
      continue;
    }
    if (p.allowedValues && !p.allowedValues.includes(item)) {
      add('AllowedValues', `${label} is not one of ${p.allowedValues.map((v) => `"${v}"`).join(', ')}`);
    }
    if (p.allowedPattern !== undefined) {
      // CloudFormation matches the whole value (Java's Pattern.matches).
      let pattern: RegExp | undefined;
      try {
        pattern = new RegExp(`^(?:${p.allowedPattern})$`, 'u');
      } catch {
        pattern = undefined;
      }
      if (pattern && !pattern.test(item)) add('Pattern', `${label} does not match ${p.allowedPattern}`);
    }
  }
  // Lengths apply to the value as given (for a list: the whole text).
  if (!isNumeric(p.type)) {
    if (p.minLength !== undefined && value.length < p.minLength) {
      add('Length', `${p.name} is shorter than ${p.minLength} characters`);
    }
    if (p.maxLength !== undefined && value.length > p.maxLength) {
      add('Length', `${p.name} is longer than ${p.maxLength} characters`);
    }
  }
  return problems;
}

/**
 * Checks the values given for a deploy against the template's `Parameters` (names, types,
 * allowed values, patterns, lengths, ranges, list items) and its `Rules`. `previous` names
 * parameters the stack already has: on an update they keep their values and are not missing.
 */
export function checkParameters(
  document: TemplateDocument,
  parameters: TemplateParameter[],
  values: Record<string, string>,
  previous: ReadonlySet<string> = new Set(),
): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  const byName = new Map(parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(values)) {
    if (!byName.has(name)) {
      const near = parameters.find((p) => p.name.toLowerCase() === name.toLowerCase());
      problems.push({
        parameter: name,
        code: 'Unknown',
        message: `The template has no parameter ${name}${near ? `; did you mean ${near.name}?` : ''}`,
      });
    }
  }
  for (const p of parameters) {
    const value = values[p.name];
    if (value === undefined) {
      if (p.required && !p.filledByDeploy && !previous.has(p.name)) {
        problems.push({ parameter: p.name, code: 'Missing', message: `${p.name} is required: ${p.description}` });
      }
      continue;
    }
    problems.push(...checkParameterValue(p, value));
  }
  if (problems.length === 0) problems.push(...checkRules(document, parameters, values, previous));
  return problems;
}

/**
 * The template's `Rules`, for the values known before deploying. Supports the functions rules
 * are written with here (Equals, Not, And, Or, Contains, Ref); a rule that refers to anything
 * else, or to a value kept from the previous deploy, is left to CloudFormation.
 */
function checkRules(
  document: TemplateDocument,
  parameters: TemplateParameter[],
  values: Record<string, string>,
  previous: ReadonlySet<string>,
): ParameterProblem[] {
  const value = (name: string): string | undefined => {
    if (values[name] !== undefined) return values[name];
    if (previous.has(name)) return undefined;
    return parameters.find((p) => p.name === name)?.default;
  };
  const evaluate = (node: unknown): unknown => {
    if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
    if (Array.isArray(node)) return node.map(evaluate);
    if (!node || typeof node !== 'object') return undefined;
    const [fn, arg] = Object.entries(node as Record<string, unknown>)[0] ?? [];
    const args = Array.isArray(arg) ? arg.map(evaluate) : [];
    switch (fn) {
      case 'Ref':
        return typeof arg === 'string' ? value(arg) : undefined;
      case 'Fn::Equals':
        return args.includes(undefined) ? undefined : String(args[0]) === String(args[1]);
      case 'Fn::Not':
        return typeof args[0] === 'boolean' ? !args[0] : undefined;
      case 'Fn::And':
        return args.every((a) => typeof a === 'boolean') ? args.every(Boolean) : undefined;
      case 'Fn::Or':
        return args.every((a) => typeof a === 'boolean') ? args.some(Boolean) : undefined;
      case 'Fn::Contains':
        return Array.isArray(args[0]) && args[1] !== undefined ? (args[0] as unknown[]).includes(args[1]) : undefined;
      default:
        return undefined;
    }
  };
  const problems: ParameterProblem[] = [];
  for (const [name, rule] of Object.entries(document.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && evaluate(rule.RuleCondition) !== true) continue;
    for (const assertion of rule.Assertions ?? []) {
      if (evaluate(assertion.Assert) === false) {
        problems.push({ parameter: '', code: 'Rule', message: assertion.AssertDescription ?? `Rule ${name} fails` });
      }
    }
  }
  return problems;
}
