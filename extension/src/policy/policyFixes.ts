import type { PolicyFinding } from '@coldkeep/shared';

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
