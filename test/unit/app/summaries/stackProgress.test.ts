// A stack deploy's progress and change set as the lines a front end shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { changeLines, stackProgressTracker } from '@coldkeep/shared';

describe('stack deploys', () => {
  test('stack progress counts settled resources against the change set', () => {
    const track = stackProgressTracker();
    const changes = [
      { action: 'Add', logicalId: 'A', resourceType: 'AWS::S3::Bucket' },
      { action: 'Modify', logicalId: 'B', resourceType: 'AWS::IAM::Role', replacement: 'True' },
    ];
    assert.deepEqual(changeLines(changes), ['Add A (AWS::S3::Bucket)', 'Modify B (AWS::IAM::Role) — replaced']);
    assert.match(track({ phase: 'changes', stackName: 's', changes }).message, /2 change/);
    const event = (logicalId: string, status: string) =>
      track({
        phase: 'event',
        stackName: 's',
        event: { timestamp: '', logicalId, resourceType: 'AWS::S3::Bucket', status },
      });
    assert.equal(event('A', 'CREATE_IN_PROGRESS').percent, 0);
    assert.equal(event('A', 'CREATE_COMPLETE').percent, 50);
    assert.deepEqual(track({ phase: 'done', stackName: 's', status: 'CREATE_COMPLETE' }), {
      message: 'CREATE_COMPLETE',
      percent: 100,
    });
  });
});
