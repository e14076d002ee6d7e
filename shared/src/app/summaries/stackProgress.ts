import type { StackChange, StackProgress } from '../../infra/stacks/deployReport';
import { bytesText } from '../notify/figures';
import type { ProgressLine } from './progressLine';

/** Change-set lines for a preview: "Add BackupBucket (AWS::S3::Bucket)", replacements called out. */
export function changeLines(changes: StackChange[]): string[] {
  return changes.map(
    (c) =>
      `${c.action} ${c.logicalId} (${c.resourceType})${c.replacement === 'True' ? ' — replaced' : c.replacement === 'Conditional' ? ' — may be replaced' : ''}`,
  );
}

/**
 * A stack deploy's progress as lines; the percentage counts resources settled against the change
 * set. One tracker per deploy (it remembers which resources are done).
 */
export function stackProgressTracker(): (p: StackProgress) => ProgressLine {
  let planned = 0;
  const settled = new Set<string>();
  return (p) => {
    switch (p.phase) {
      case 'upload':
        return {
          message: p.uploaded ? `Uploaded the Lambda bundle (${bytesText(p.bytes)})` : 'Lambda bundle in place',
        };
      case 'change-set':
        return { message: `Preparing the ${p.changeSetType.toLowerCase()} of ${p.stackName}…` };
      case 'changes':
        planned = p.changes.length;
        return { message: `${p.changes.length} change(s) to review` };
      case 'execute':
        return { message: `Executing the change set of ${p.stackName}…` };
      case 'event': {
        const { logicalId, status, resourceType } = p.event;
        if (resourceType !== 'AWS::CloudFormation::Stack' && /_COMPLETE$|_FAILED$/.test(status)) settled.add(logicalId);
        const percent = planned ? Math.min(99, (settled.size / planned) * 100) : undefined;
        return { message: `${logicalId}: ${status}`, ...(percent !== undefined ? { percent } : {}) };
      }
      case 'done':
        return { message: p.status, percent: 100 };
    }
  };
}
