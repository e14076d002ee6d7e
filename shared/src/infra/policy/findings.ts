/**
 * What the policy linter can report. Each check has a stable code (front ends, SARIF rules and
 * scripts key on it), a fixed severity and a one-line title; each finding adds a message, a
 * hint and the range of text it is about.
 */

export type Severity = 'error' | 'warning' | 'info';

export interface CheckInfo {
  severity: Severity;
  title: string;
}

export const CHECKS = {
  JsonSyntax: { severity: 'error', title: 'The document is not valid JSON (or YAML).' },
  TemplateError: {
    severity: 'error',
    title: "CloudFormation would refuse the template's intrinsic functions (e.g. a function as Fn::Join's delimiter).",
  },
  DuplicateKey: { severity: 'error', title: 'A key appears twice in one object; only the last one counts.' },
  MalformedPolicy: { severity: 'error', title: 'The policy document is not shaped as IAM expects.' },
  MissingVersion: { severity: 'warning', title: 'The policy has no Version, so it is read as 2008-10-17.' },
  OldVersion: { severity: 'warning', title: 'Version 2008-10-17 does not support policy variables.' },
  InvalidVersion: { severity: 'error', title: 'Version must be "2012-10-17".' },
  MalformedStatement: { severity: 'error', title: 'A statement is missing an element, or has one IAM does not know.' },
  MalformedEffect: { severity: 'error', title: 'Effect must be "Allow" or "Deny".' },
  MalformedPrincipal: { severity: 'error', title: 'The Principal element is malformed or misplaced.' },
  MalformedCondition: { severity: 'error', title: 'The Condition element is malformed.' },
  Placeholder: { severity: 'error', title: 'A placeholder was left in the policy.' },
  MalformedArn: { severity: 'error', title: 'A resource is not a well-formed ARN.' },
  ObjectActionOnBucket: { severity: 'error', title: 'An object-level S3 action is granted on a bucket ARN.' },
  BucketActionOnObject: { severity: 'error', title: 'A bucket-level S3 action is granted on an object ARN.' },
  ResourceMismatch: { severity: 'error', title: 'No resource of the statement is of a type the action applies to.' },
  UnknownService: { severity: 'error', title: 'The service prefix is not an AWS service.' },
  UnknownAction: { severity: 'error', title: 'The action does not exist in the service.' },
  UnknownConditionKey: { severity: 'error', title: 'The condition key does not exist.' },
  ConditionKeyNotForAction: {
    severity: 'warning',
    title: "The condition key is not one of the statement's actions' condition keys.",
  },
  ConditionTypeMismatch: { severity: 'warning', title: "The condition operator does not fit the key's type." },
  MfaBadPattern: {
    severity: 'warning',
    title: 'aws:MultiFactorAuthPresent is tested with Bool; requests without MFA lack the key entirely.',
  },
  WildcardAction: { severity: 'warning', title: 'An Allow grants every action ("*") or every action of a service.' },
  ResourceStar: { severity: 'warning', title: 'An Allow grants on Resource "*" actions that can be scoped to ARNs.' },
  PublicPrincipal: { severity: 'error', title: 'An Allow grants to everyone (Principal "*") without a condition.' },
  AllowNotAction: { severity: 'warning', title: 'NotAction with Allow grants every action but the listed ones.' },
  AllowNotResource: {
    severity: 'warning',
    title: 'NotResource with Allow grants on every resource but the listed ones.',
  },
  AllowNotPrincipal: { severity: 'warning', title: 'NotPrincipal with Allow grants to everyone but the listed ones.' },
  DuplicateSid: { severity: 'error', title: 'Two statements have the same Sid.' },
  InvalidSid: { severity: 'error', title: 'A Sid must be letters and digits only.' },
  SensitiveWildcard: {
    severity: 'warning',
    title:
      'A wildcard action also grants sensitive actions (ones that weaken Object Lock, delete, or hand over control).',
  },
  AclOnOwnerEnforced: {
    severity: 'warning',
    title:
      'An ACL action is granted; buckets with bucket-owner-enforced ownership (the default since 2023) refuse ACLs.',
  },
  ListBucketWithoutPrefix: {
    severity: 'info',
    title: 's3:ListBucket is allowed without an s3:prefix condition, so the whole bucket can be listed.',
  },
  MissingSecureTransport: {
    severity: 'warning',
    title: 'A bucket policy has no Deny for requests without TLS (aws:SecureTransport false).',
  },
  BroadManagedPolicy: {
    severity: 'warning',
    title: 'A template attaches an AWS managed policy that grants a whole service or more.',
  },
} as const satisfies Record<string, CheckInfo>;

export type FindingCode = keyof typeof CHECKS;

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
}

export interface PolicyFinding {
  code: FindingCode;
  severity: Severity;
  message: string;
  hint: string;
  /** Offsets into the text (end exclusive). */
  start: number;
  end: number;
  range: { start: Position; end: Position };
  /** Where in the file the policy is, for templates: "Resources.BackupRole.Properties.Policies[0].PolicyDocument". */
  document?: string;
}

/** A finding before its offsets are turned into lines and columns. */
export interface RawFinding {
  code: FindingCode;
  message: string;
  hint: string;
  start: number;
  end: number;
}

export function countBySeverity(findings: readonly { severity: Severity }[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
