import { UNKNOWN_NAME } from './arn';
import { CHECKS, type PolicyFinding, type RawFinding } from './findings';
import { checkDocument, type PolicyKind, type ValueResolver } from './lintChecks';
import { LineIndex, type LNode, member, parseJsonLocated, parseYamlLocated, withIntrinsics } from './located';
import { type ResolveEnvironment, resolveTemplate, TemplateResolveError } from './resolveTemplate';
import { quoteWritten, writtenUnknowns } from './templateQuotes';
import { checkManagedPolicies, findTemplatePolicies, isTemplate, templateResolver } from './templates';

export interface LintOptions {
  /** Decides JSON or YAML by its extension; otherwise the text decides. */
  fileName?: string;
  /** What the policy is attached to; inferred when absent (a Principal makes it a resource policy). */
  kind?: PolicyKind;
  /** For a CloudFormation template: the parameters (defaults fill the rest) and pseudo parameters to resolve it with. */
  template?: ResolveEnvironment;
}

export interface LintedDocument {
  kind: PolicyKind;
  /** Where the document is in a template; absent for a policy file. */
  path?: string;
}

export interface LintResult {
  format: 'json' | 'yaml';
  /** A policy document, or a CloudFormation template holding policies. */
  source: 'policy' | 'template';
  documents: LintedDocument[];
  findings: PolicyFinding[];
}

function formatOf(text: string, fileName?: string): 'json' | 'yaml' {
  if (fileName && /\.ya?ml$/i.test(fileName)) return 'yaml';
  if (fileName && /\.json$/i.test(fileName)) return 'json';
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
}

function inferKind(doc: LNode): PolicyKind {
  const statement = member(doc, 'Statement');
  const statements = statement?.kind === 'array' ? statement.items : statement ? [statement] : [];
  return statements.some((s) => member(s, 'Principal') || member(s, 'NotPrincipal')) ? 'resource' : 'identity';
}

/** Unknown-until-deployed values (a bare reference) are not judged at all. */
function judged(resolve: ValueResolver): ValueResolver {
  return (node) => {
    const text = resolve(node);
    return text?.startsWith(UNKNOWN_NAME) ? undefined : text;
  };
}

const plainResolver: ValueResolver = (node) =>
  node.kind === 'string'
    ? node.value
    : node.kind === 'number' || node.kind === 'boolean'
      ? String(node.value)
      : undefined;

/**
 * Lints an IAM policy (JSON, or YAML), or every policy in a CloudFormation template (JSON or
 * YAML, short-form tags included). Findings carry a stable code, a severity, a message, a hint
 * and the range of text they are about.
 */
export async function lintPolicy(text: string, options: LintOptions = {}): Promise<LintResult> {
  const format = formatOf(text, options.fileName);
  const parsed = format === 'json' ? parseJsonLocated(text) : parseYamlLocated(text);
  const lines = new LineIndex(text);
  // A value CloudFormation fills in at deployment is shown as ${…}.
  const shown = (s: string): string => s.replaceAll(UNKNOWN_NAME, '${…}');
  const located = (
    raw: RawFinding,
    document?: string,
    quote: (raw: RawFinding, s: string) => string = (_, s) => shown(s),
  ): PolicyFinding => ({
    ...raw,
    message: quote(raw, raw.message),
    hint: quote(raw, raw.hint),
    severity: CHECKS[raw.code].severity,
    range: { start: lines.position(raw.start), end: lines.position(raw.end) },
    ...(document ? { document } : {}),
  });
  const byPosition = (a: PolicyFinding, b: PolicyFinding): number => a.start - b.start || a.code.localeCompare(b.code);

  if (parsed.problems.length || !parsed.root) {
    const problems = parsed.problems.length
      ? parsed.problems
      : [{ message: 'The file is empty.', start: 0, end: Math.min(1, text.length) }];
    const findings = problems.map((p) =>
      located({
        code: 'JsonSyntax',
        start: p.start,
        end: p.end,
        message: p.message,
        hint:
          format === 'json'
            ? 'Fix the syntax first; the policy is checked once it parses.'
            : 'Fix the YAML first; the template is checked once it parses.',
      }),
    );
    return { format, source: 'policy', documents: [], findings: findings.sort(byPosition) };
  }

  const root = withIntrinsics(parsed.root);
  if (isTemplate(root)) {
    // The policies are checked as CloudFormation would create them: intrinsics resolved for the
    // parameters given (or the defaults), what is known only after deployment left as placeholders.
    const findings: PolicyFinding[] = [];
    let template: LNode;
    try {
      template = resolveTemplate(root, options.template);
    } catch (e) {
      if (!(e instanceof TemplateResolveError)) throw e;
      findings.push(
        located({
          code: 'TemplateError',
          start: e.start,
          end: Math.max(e.end, e.start + 1),
          message: `CloudFormation refuses this template: ${e.message.replace(/^Template error: /, '')}.`,
          hint: 'Fix the template (cfn-lint names the rule); its policies are checked once it resolves.',
        }),
      );
      return { format, source: 'template', documents: [], findings };
    }
    const resolve = judged(templateResolver(template));
    // What is unknown until deployment is quoted as the template writes it (${BucketName}).
    const quote = (raw: RawFinding, s: string): string =>
      quoteWritten(s, writtenUnknowns(root, template, raw.start, raw.end));
    findings.push(...checkManagedPolicies(template, resolve).map((f) => located(f, undefined, quote)));
    const documents: LintedDocument[] = [];
    for (const policy of findTemplatePolicies(template)) {
      documents.push({ kind: policy.kind, path: policy.path });
      const raw = await checkDocument(policy.node, {
        kind: policy.kind,
        inTemplate: true,
        resolve,
        bucketPolicy: policy.resourceType === 'AWS::S3::BucketPolicy',
      });
      findings.push(...raw.map((f) => located(f, policy.path, quote)));
    }
    return { format, source: 'template', documents, findings: findings.sort(byPosition) };
  }

  // A policy file: intrinsics mean nothing here, so the tree is read as written.
  const doc = parsed.root;
  const kind = options.kind ?? inferKind(doc);
  const raw = await checkDocument(doc, { kind, inTemplate: false, resolve: plainResolver });
  return { format, source: 'policy', documents: [{ kind }], findings: raw.map((f) => located(f)).sort(byPosition) };
}
