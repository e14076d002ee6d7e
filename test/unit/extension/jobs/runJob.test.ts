// runJob: Cancel in the progress notification aborts the job's signal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, sleep } from '@coldkeep/shared';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const jobs = require('coldkeep-vscode/out/jobs/runJob') as typeof import('coldkeep-vscode/out/jobs/runJob');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('jobs', () => {
  test('Cancel in the progress notification aborts the job signal, and the job ends as cancelled', async () => {
    fake.messages.length = 0;
    let pressCancel: (() => void) | undefined;
    fake.onProgress = (cancel) => (pressCancel = cancel);
    let aborted = false;
    const result = await jobs.runJob('Backing up T', async (signal) => {
      setTimeout(() => pressCancel!(), 10);
      try {
        await sleep(10_000, signal);
      } finally {
        aborted = signal.aborted;
      }
      return 'finished';
    });
    fake.onProgress = undefined;
    assert.equal(result, undefined);
    assert.equal(aborted, true);
    assert.deepEqual(fake.messages, [{ level: 'info', text: 'Backing up T: cancelled.' }]);
    assert.equal(jobs.isCancelled(new CancelledError()), true);
  });
});
