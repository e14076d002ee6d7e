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

  test("a scheduled run's record (trigger, scheduled time, tries, drill, the runner's result) ends its claim", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-runjob-claim-'));
    const store = new ScheduleStore(dir);
    try {
      const source = await store.addSource({
        id: 'orders',
        name: 'Orders',
        kind: 'table',
        table: 'Orders',
        cron: '0 2 * * *',
        enabled: true,
        drill: true,
        createdAt: '2026-01-01T00:00:00.000Z',
      });
      const scheduledFor = new Date('2026-03-01T02:00:00.000Z');
      const claim = await store.claimRun(source.id, 'schedule', scheduledFor);
      assert.ok(claim.claimed);
      assert.equal((await store.running()).length, 1);
      const kept = { summary: 'restore drill passed', restorePoint: 'b1', report: { itemsCompared: 3 } };
      // No connection: the scheduler's runners check the session themselves, and nothing is emailed.
      const result = await runJob(
        undefined,
        { what: 'Restore drill (Orders)', run: async () => kept, summary: (r) => summary(r.summary) },
        {
          history: {
            store,
            source,
            trigger: 'schedule',
            scheduledFor,
            claimId: claim.claim.claimId,
            attempts: () => 2,
            result: (r) => r,
          },
        },
      );
      const [run] = await store.history();
      assert.deepEqual(result.run, run);
      assert.deepEqual(
        [run!.trigger, run!.scheduledFor, run!.attempts, run!.drill, run!.status, run!.result],
        ['schedule', '2026-03-01T02:00:00.000Z', 2, true, 'succeeded', kept],
      );
      assert.deepEqual(await store.running(), [], 'the record ended the claim');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a history that cannot be written leaves the outcome as it was, and says why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-runjob-broken-'));
    const store = new ScheduleStore(dir);
    store.appendRun = async () => Promise.reject(new Error('disk full'));
    try {
      const result = await runJob(
        undefined,
        { what: 'x', run: async () => ({ files: 1 }), summary: () => summary('1 file') },
        { history: { store, source: { id: 'docs', name: 'Documents', kind: 'folder' } } },
      );
      assert.equal(result.status, 'succeeded');
      assert.equal(result.run?.status, 'succeeded');
      assert.match(String(result.historyError), /disk full/);
    } finally {
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
