import type { PolicyFinding } from '@coldkeep/shared';
import { getLocation } from 'jsonc-parser';

/** A text edit as offsets, so the fixes can be tested without an editor. */
export interface OffsetEdit {
  start: number;
  end: number;
  text: string;
}

export interface PolicyFix {
  title: string;
  edit: OffsetEdit;
}

/** Whether a file is worth linting: an IAM policy, or a CloudFormation template with policies. */
export function looksLikePolicy(text: string): boolean {
  return (
    (/["']?Statement["']?\s*:/.test(text) && /["']?(Effect|Action|NotAction)["']?\s*:/.test(text)) ||
    /AWSTemplateFormatVersion|AWS::IAM::|PolicyDocument|AWS::S3::BucketPolicy|AWS::KMS::Key/.test(text)
  );
}

/**
 * The fixes that are certain, for one finding:
 *  - MissingVersion: add "Version": "2012-10-17" as the first element (JSON or YAML block);
 *  - ObjectActionOnBucket on a single bucket ARN: append "/*" so it names the bucket's objects.
 */
export function fixesFor(finding: Pick<PolicyFinding, 'code' | 'start' | 'end'>, text: string): PolicyFix[] {
  if (finding.code === 'MissingVersion') {
    if (text[finding.start] === '{') {
      const after = text.slice(finding.start + 1);
      const indent = /^\s*\n([ \t]*)/.exec(after)?.[1];
      const insert = indent !== undefined ? `\n${indent}"Version": "2012-10-17",` : ' "Version": "2012-10-17",';
      return [
        {
          title: 'Add "Version": "2012-10-17"',
          edit: { start: finding.start + 1, end: finding.start + 1, text: insert },
        },
      ];
    }
    // YAML block mapping: the finding starts at the document's first key; add a sibling before it.
    const lineStart = text.lastIndexOf('\n', finding.start - 1) + 1;
    const indent = text.slice(lineStart, finding.start);
    if (/^[ \t]*$/.test(indent)) {
      return [
        {
          title: "Add Version: '2012-10-17'",
          edit: { start: finding.start, end: finding.start, text: `Version: '2012-10-17'\n${indent}` },
        },
      ];
    }
    if (/^[ \t]*- $/.test(indent)) return [];
    return [];
  }
  if (finding.code === 'ObjectActionOnBucket') {
    const target = text.slice(finding.start, finding.end);
    const match = /^(["']?)(arn:[\w-]+:s3:::[^/"'\s*]+)\1$/.exec(target);
    if (match) {
      const quote = match[1]!;
      return [
        {
          title: 'Append "/*" to name the objects in the bucket',
          edit: { start: finding.start, end: finding.end, text: `${quote}${match[2]}/*${quote}` },
        },
      ];
    }
  }
  return [];
}

/**
 * A missing comma: VS Code's JSON (json 514) and the linter's JsonSyntax both point at the token
 * after the gap; the comma goes right after the last character before it.
 */
export function missingCommaFix(text: string, tokenStart: number): PolicyFix | undefined {
  let end = tokenStart;
  while (end > 0 && /\s/.test(text[end - 1]!)) end--;
  if (end === 0 || /[,{[:]/.test(text[end - 1]!)) return undefined;
  return { title: 'Insert the missing comma', edit: { start: end, end, text: ',' } };
}

/** The word a completion replaces: the typed `coldkeep-…` text (letters, digits, hyphens) up to the cursor. */
export function typedWord(text: string, offset: number): { start: number; end: number } {
  let start = offset;
  while (start > 0 && /[\w-]/.test(text[start - 1]!)) start--;
  return { start, end: offset };
}

/** Keys whose value is a whole policy document, in CloudFormation templates. */
const POLICY_KEYS = new Set(['PolicyDocument', 'KeyPolicy', 'AssumeRolePolicyDocument', 'PolicyText']);

/**
 * Whether a policy snippet fits at `offset` (the typed word removed): an empty document, or a
 * policy or template where a policy document goes (the document's root, or the value of a policy key).
 */
export function snippetFits(text: string, offset: number, format: 'json' | 'yaml'): boolean {
  const word = typedWord(text, offset);
  const rest = text.slice(0, word.start) + text.slice(word.end);
  if (!rest.trim()) return true;
  if (!looksLikePolicy(rest)) return false;
  if (format === 'yaml') {
    // A block value on its own line under a policy key ("PolicyDocument:" on the line above).
    const lineStart = text.lastIndexOf('\n', word.start - 1) + 1;
    if (text.slice(lineStart, word.start).trim()) return false;
    const before = text.slice(0, Math.max(0, lineStart - 1)).split('\n');
    const previous = before.reverse().find((line) => line.trim());
    const key = /^\s*['"]?(\w+)['"]?:\s*$/.exec(previous ?? '')?.[1];
    return key !== undefined && POLICY_KEYS.has(key);
  }
  const location = getLocation(rest, word.start);
  if (location.isAtPropertyKey) return false;
  const last = location.path[location.path.length - 1];
  return location.path.length === 0 || (typeof last === 'string' && POLICY_KEYS.has(last));
}
