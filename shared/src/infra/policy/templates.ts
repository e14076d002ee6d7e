import { resourceArnPlaceholder, UNKNOWN_NAME } from './arn';
import type { RawFinding } from './findings';
import type { PolicyKind, ValueResolver } from './lintChecks';
import { type LNode, member } from './located';

/** A policy document found in a CloudFormation template. */
export interface TemplatePolicy {
  node: LNode;
  kind: PolicyKind;
  /** "Resources.BackupRole.Properties.Policies[0].PolicyDocument" */
  path: string;
  /** The CloudFormation type of the resource holding it ("AWS::S3::BucketPolicy"). */
  resourceType: string;
}

/** Where policy documents sit in CloudFormation resources, and what kind each is. */
const POLICY_PROPERTIES: Record<string, { property: string; kind: PolicyKind; list?: boolean }[]> = {
  'AWS::IAM::Role': [
    { property: 'AssumeRolePolicyDocument', kind: 'trust' },
    { property: 'Policies', kind: 'identity', list: true },
  ],
  'AWS::IAM::User': [{ property: 'Policies', kind: 'identity', list: true }],
  'AWS::IAM::Group': [{ property: 'Policies', kind: 'identity', list: true }],
  'AWS::IAM::Policy': [{ property: 'PolicyDocument', kind: 'identity' }],
  'AWS::IAM::ManagedPolicy': [{ property: 'PolicyDocument', kind: 'identity' }],
  'AWS::IAM::RolePolicy': [{ property: 'PolicyDocument', kind: 'identity' }],
  'AWS::IAM::UserPolicy': [{ property: 'PolicyDocument', kind: 'identity' }],
  'AWS::IAM::GroupPolicy': [{ property: 'PolicyDocument', kind: 'identity' }],
  'AWS::S3::BucketPolicy': [{ property: 'PolicyDocument', kind: 'resource' }],
  'AWS::SQS::QueuePolicy': [{ property: 'PolicyDocument', kind: 'resource' }],
  'AWS::SNS::TopicPolicy': [{ property: 'PolicyDocument', kind: 'resource' }],
  'AWS::KMS::Key': [{ property: 'KeyPolicy', kind: 'resource' }],
};

const WITH_MANAGED_POLICIES = ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'];

/** AWS managed policies that hand over a whole service, or all of them. */
const BROAD_MANAGED =
  /^arn:[a-z-]+:iam::aws:policy\/(?:.*\/)?(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]*FullAccess[A-Za-z0-9_]*)$/;

export function isTemplate(root: LNode): boolean {
  return (
    root.kind === 'object' &&
    (member(root, 'Resources') !== undefined || member(root, 'AWSTemplateFormatVersion') !== undefined)
  );
}

export function findTemplatePolicies(template: LNode): TemplatePolicy[] {
  const found: TemplatePolicy[] = [];
  const resources = member(template, 'Resources');
  if (resources?.kind !== 'object') return found;
  for (const r of resources.entries) {
    const type = member(r.value, 'Type');
    const properties = member(r.value, 'Properties');
    if (type?.kind !== 'string' || !properties) continue;
    for (const spec of POLICY_PROPERTIES[type.value] ?? []) {
      const value = member(properties, spec.property);
      const base = `Resources.${r.key}.Properties.${spec.property}`;
      if (!value) continue;
      if (spec.list) {
        if (value.kind !== 'array') continue;
        value.items.forEach((item, i) => {
          const doc = member(item, 'PolicyDocument');
          if (doc && doc.kind !== 'string')
            found.push({ node: doc, kind: spec.kind, path: `${base}[${i}].PolicyDocument`, resourceType: type.value });
        });
      } else if (value.kind === 'object') {
        found.push({ node: value, kind: spec.kind, path: base, resourceType: type.value });
      }
    }
  }
  return found;
}

/** Managed policies attached in a template that grant far more than a backup needs. */
export function checkManagedPolicies(template: LNode, resolve: ValueResolver): RawFinding[] {
  const findings: RawFinding[] = [];
  const resources = member(template, 'Resources');
  if (resources?.kind !== 'object') return findings;
  for (const r of resources.entries) {
    const type = member(r.value, 'Type');
    if (type?.kind !== 'string' || !WITH_MANAGED_POLICIES.includes(type.value)) continue;
    const arns = member(member(r.value, 'Properties'), 'ManagedPolicyArns');
    if (arns?.kind !== 'array') continue;
    for (const node of arns.items) {
      const text = resolve(node)?.replace(UNKNOWN_NAME, 'aws');
      const name = text ? BROAD_MANAGED.exec(text)?.[1] : undefined;
      if (!name) continue;
      findings.push({
        code: 'BroadManagedPolicy',
        start: node.start,
        end: node.end,
        message: `${r.key} gets the AWS managed policy ${name}, which grants ${name === 'AdministratorAccess' ? 'everything' : name === 'PowerUserAccess' ? 'everything but IAM' : 'every action of a service on every resource'}.`,
        hint: 'Attach a policy with only what the role calls: for Coldkeep, "coldkeep policy generate --for backup-table --bucket B --table T" prints it.',
      });
    }
  }
  return findings;
}

/**
 * Reads a template's values as text where CloudFormation would know them before deployment,
 * and as patterns where it would not: a reference to a bucket becomes an unknown name (no "/"),
 * the ARN of a bucket `arn:aws:s3:::<name>`. Undefined when nothing useful can be said.
 */
export function templateResolver(template: LNode): ValueResolver {
  const resources = member(template, 'Resources');
  const typeOf = (logicalId: string): string | undefined => {
    const t = member(member(resources, logicalId), 'Type');
    return t?.kind === 'string' ? t.value : undefined;
  };
  const U = UNKNOWN_NAME;
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': U,
    'AWS::AccountId': U,
    'AWS::StackName': U,
    'AWS::StackId': '*',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::NoValue': '',
  };
  const ref = (name: string): string => pseudo[name] ?? U;
  const attribute = (target: string): string => {
    const [id, attr] = target.split('.') as [string, string | undefined];
    if (attr !== 'Arn') return attr?.endsWith('Name') ? U : '*';
    return resourceArnPlaceholder(typeOf(id)) ?? '*';
  };
  const resolve: ValueResolver = (node) => {
    switch (node.kind) {
      case 'string':
        return node.value;
      case 'number':
      case 'boolean':
        return String(node.value);
      case 'intrinsic': {
        const arg = node.arg;
        if (node.fn === 'Ref') return arg.kind === 'string' ? ref(arg.value) : undefined;
        if (node.fn === 'GetAtt') {
          if (arg.kind === 'string') return attribute(arg.value);
          if (arg.kind === 'array' && arg.items.every((i) => i.kind === 'string'))
            return attribute(arg.items.map((i) => (i as { value: string }).value).join('.'));
          return undefined;
        }
        if (node.fn === 'Sub') {
          const source = arg.kind === 'array' ? arg.items[0] : arg;
          if (source?.kind !== 'string') return undefined;
          return source.value.replace(/\$\{([^}!]+)\}/g, (_m, name: string) =>
            name.includes('.') ? attribute(name) : ref(name),
          );
        }
        if (node.fn === 'Join' && arg.kind === 'array') {
          const [sep, list] = arg.items;
          if (sep?.kind !== 'string' || list?.kind !== 'array') return undefined;
          const parts = list.items.map(resolve);
          return parts.every((p) => p !== undefined) ? parts.join(sep.value) : undefined;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  };
  return resolve;
}
