// The core features' progress text: folder backups and restores, stack deploys.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const core =
  require('coldkeep-vscode/out/features/coreFeatures') as typeof import('coldkeep-vscode/out/features/coreFeatures');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('folder snapshots', () => {
  test('folder progress reads as files and bytes, the restore as a percentage', () => {
    const scan = core.folderBackupProgressText({
      phase: 'scan',
      source: 'docs',
      files: 1200,
      bytes: 5_000_000,
      unchangedFiles: 0,
      hashedFiles: 10,
      hashedBytes: 10,
      uploadedBlobs: 3,
      uploadedBytes: 2_000_000,
      skipped: 0,
    });
    assert.match(scan.message, /1,200 files · .*MB.* uploaded/);
    const restore = core.snapshotRestoreProgressText({
      phase: 'restore',
      source: 'docs',
      files: 4,
      filesDone: 1,
      bytes: 400,
      bytesDone: 100,
    });
    assert.deepEqual(restore, { message: '1 of 4 files', percent: 25 });
  });
});

describe('stack deploys', () => {
  test('stack progress counts settled resources against the change set', () => {
    const track = core.stackProgressTracker();
    const changes = [
      { action: 'Add', logicalId: 'A', resourceType: 'AWS::S3::Bucket' },
      { action: 'Modify', logicalId: 'B', resourceType: 'AWS::IAM::Role', replacement: 'True' },
    ];
    assert.deepEqual(core.changeLines(changes), ['Add A (AWS::S3::Bucket)', 'Modify B (AWS::IAM::Role) — replaced']);
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
