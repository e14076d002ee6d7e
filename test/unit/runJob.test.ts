// runJob's bookkeeping without AWS: the status it gives each ending, what it records in the
// history, and that a cancel is never emailed. (The email and the session check go over HTTP
// in integration/appJobs.test.ts.)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  CancelledError,
  ColdkeepError,
  Connection,
  MemorySecretStore,
  reportOf,
  restoreEstimateMs,
  runJob,
  ScheduleStore,
  tableScanEstimateMs,
} from '@coldkeep/shared';

const connection = (): Connection =>
  new Connection({
    // Fixed keys and an endpoint nothing listens on: any email attempt would fail and show in the result.
    settings: { credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, endpoint: 'http://127.0.0.1:9' },
    store: new MemorySecretStore(),
  });
const summary = (headline: string, incomplete?: string) => ({
  what: 'Backup of folder /data',
  ok: true,
  headline,
  facts: [],
  ...(incomplete ? { incomplete } : {}),
});
const notify = { to: ['ops@example.com'], from: 'coldkeep@example.com' };

describe('runJob', () => {
  test('a cancelled job is not emailed and says cancelled; reportOf throws its error', async () => {
    const c = connection();
    const result = await runJob(
      c,
      { what: 'x', run: async () => Promise.reject(new CancelledError()), summary: () => summary('') },
      { notify },
    );
    c.destroy();
    assert.equal(result.status, 'cancelled');
    assert.equal(result.notification, undefined);
    assert.throws(() => reportOf(result), CancelledError);
  });

  test('records succeeded, partial and failed runs in the history, with the summary line and the error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-runjob-'));
    const store = new ScheduleStore(dir);
    const source = { id: 'docs', name: 'Documents', kind: 'folder' as const };
    const c = connection();
    try {
      const ok = await runJob(
        c,
        { what: 'x', run: async () => ({ files: 3 }), summary: () => summary('3 files') },
        { history: { store, source, restorePoint: 'snap1' } },
      );
      const partial = await runJob(
        c,
        { what: 'x', run: async () => ({ files: 2 }), summary: () => summary('2 files', '1 file not backed up') },
        { history: { store, source } },
      );
      const failed = await runJob(
        c,
        {
          what: 'x',
          run: async () => Promise.reject(new ColdkeepError('NoSuchBucket', 'No bucket b.', { hint: 'Create it.' })),
          summary: () => summary(''),
        },
        { history: { store, source } },
      );
      assert.deepEqual([ok.status, partial.status, failed.status], ['succeeded', 'partial', 'failed']);
      assert.equal(reportOf(ok).files, 3);
      const runs = (await store.history()).reverse();
      assert.deepEqual(
        runs.map((r) => [
          r.status,
          r.trigger,
          r.result?.summary,
          r.result?.incomplete,
          r.result?.restorePoint,
          r.error?.code,
        ]),
        [
          ['succeeded', 'manual', '3 files', undefined, 'snap1', undefined],
          ['partial', 'manual', '2 files', '1 file not backed up', undefined, undefined],
          ['failed', 'manual', undefined, undefined, undefined, 'NoSuchBucket'],
        ],
      );
      assert.equal(failed.summary.ok, false);
      assert.equal(failed.summary.error?.hint, 'Create it.');
    } finally {
      c.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('no session check without an MFA session: the estimate is not even asked', async () => {
    const c = connection();
    let asked = false;
    const result = await runJob(c, {
      what: 'x',
      estimateMs: () => ((asked = true), 1),
      run: async () => 1,
      summary: () => summary('1'),
    });
    c.destroy();
    assert.equal(result.status, 'succeeded');
    assert.equal(asked, false);
    assert.equal(result.session, undefined);
  });

  test('one estimate: a minute, plus the scan at 5 MB/s or the restore at 1,000 items/s', () => {
    assert.equal(tableScanEstimateMs(0), 60_000);
    assert.equal(tableScanEstimateMs(5_000_000 * 600), 660_000);
    assert.equal(restoreEstimateMs({ itemCount: 120_000, files: [] }), 180_000);
    assert.equal(restoreEstimateMs({ files: [{ items: 1000 }, { items: 2000 }] as never }), 63_000);
  });
});
