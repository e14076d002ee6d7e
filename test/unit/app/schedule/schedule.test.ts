import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { folderBackupReport } from '../../../helpers/folderBackupReport';
import {
  CancelledError,
  checkCron,
  ColdkeepError,
  type AwsClients,
  type BackupFolderFn,
  type BackupReport,
  type BackupTableFn,
  folderRunner,
  type FolderBackupReport,
  missedRunAt,
  newSource,
  type RunRecord,
  type RunReport,
  runSummary,
  ScheduleStore,
  Scheduler,
  type SchedulerEvent,
  type Source,
  type SourceRunner,
  type SourceRunners,
  shouldNotify,
  type TableSource,
  tableRunner,
} from '@coldkeep/shared';

async function tempStore(): Promise<ScheduleStore> {
  return new ScheduleStore(await mkdtemp(join(tmpdir(), 'coldkeep-schedule-')));
}

const quickRetry = { baseMs: 1, maxMs: 5, maxAttempts: 3 };

function ok(summary = 'done'): RunReport {
  return { summary, restorePoint: 'rp-1', report: { summary } };
}

/** Runners that record their calls and do what `behave` says. */
function recordingRunners(behave: (source: Source, call: number, signal?: AbortSignal) => Promise<RunReport>) {
  const calls: string[] = [];
  const run: SourceRunner = async (source, { signal }) => {
    calls.push(source.id);
    return behave(source, calls.filter((id) => id === source.id).length, signal);
  };
  const runners: SourceRunners = { table: run, folder: run };
  return { calls, runners };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function tableSource(overrides: Partial<TableSource> = {}): TableSource {
  return { ...(newSource({ kind: 'table', table: 'orders' }) as TableSource), ...overrides };
}

describe('schedule: cron and missed runs', () => {
  test('checkCron accepts 5 and 6 fields and rejects nonsense with a hint', () => {
    assert.equal(checkCron(' 0 2 * * * '), '0 2 * * *');
    assert.equal(checkCron('*/10 * * * * *'), '*/10 * * * * *');
    assert.throws(
      () => checkCron('every night'),
      (err: unknown) =>
        err instanceof ColdkeepError && err.code === 'InvalidInput' && /minute hour/.test(err.hint ?? ''),
    );
  });

  test('missedRunAt gives the latest scheduled time since the last run, once however many were missed', () => {
    const source = tableSource({ cron: '0 2 * * *', createdAt: '2026-01-01T12:00:00' });
    assert.equal(missedRunAt(source, new Date('2026-01-02T01:59:00')), undefined, 'nothing due yet');
    const missed = missedRunAt(source, new Date('2026-01-09T10:00:00'));
    assert.deepEqual(missed, new Date('2026-01-09T02:00:00'), 'a week asleep: only the latest night');
    const caughtUp = { ...source, lastScheduledAt: missed!.toISOString() };
    assert.equal(missedRunAt(caughtUp, new Date('2026-01-09T23:00:00')), undefined);
    assert.deepEqual(missedRunAt(caughtUp, new Date('2026-01-10T02:00:30')), new Date('2026-01-10T02:00:00'));
  });
});

describe('schedule: store', () => {
  test('sources and history persist across instances, newest run first', async () => {
    const store = await tempStore();
    const source = await store.addSource(newSource({ kind: 'folder', dir: '/home/me/photos', cron: '30 1 * * *' }));
    await assert.rejects(store.addSource(newSource({ kind: 'folder', dir: '/home/me/photos' })), /already a source/);
    const again = new ScheduleStore(store.dir);
    assert.deepEqual(await again.sources(), [source]);
    await assert.rejects(
      again.source('nope'),
      (err: unknown) => err instanceof ColdkeepError && err.code === 'NoSuchSource',
    );

    const scheduler = new Scheduler({ store, runners: recordingRunners(async () => ok()).runners });
    const first = await scheduler.runNow(source.id);
    const second = await scheduler.runNow(source.id);
    const history = await new ScheduleStore(store.dir).history();
    assert.deepEqual(
      history.map((r) => r.runId),
      [second.runId, first.runId],
    );
    assert.equal((await again.run(first.runId))?.result?.summary, 'done');
  });

  test('a damaged file is a clear error, not an empty schedule', async () => {
    const store = await tempStore();
    await store.addSource(tableSource());
    await writeFile(join(store.dir, 'sources.json'), '{"version":1,"paused":fal');
    await assert.rejects(
      store.sources(),
      (err: unknown) =>
        err instanceof ColdkeepError && /damaged/.test(err.message) && /move it away/.test(err.hint ?? ''),
    );
  });

  test('a table source saved before engines existed still loads, and backs up with auto', async () => {
    const store = await tempStore();
    const old = {
      id: 'a1b2c3d4',
      name: 'orders',
      cron: '0 2 * * *',
      enabled: true,
      createdAt: '2026-01-01T00:00:00.000Z',
      kind: 'table',
      table: 'orders',
    };
    await writeFile(join(store.dir, 'sources.json'), JSON.stringify({ version: 1, paused: false, sources: [old] }));
    const [loaded] = await store.sources();
    assert.deepEqual(loaded, old);
    assert.equal(loaded?.kind === 'table' ? (loaded.engine ?? 'auto') : undefined, 'auto');
  });

  test('a table source keeps its engine; incremental with the scan engine is refused with a hint', async () => {
    const store = await tempStore();
    const source = await store.addSource(
      newSource({ kind: 'table', table: 'orders', engine: 'export', incremental: true }),
    );
    assert.deepEqual(await new ScheduleStore(store.dir).source(source.id), source);
    assert.equal((source as TableSource).engine, 'export');
    assert.equal((source as TableSource).incremental, true);
    assert.equal('engine' in newSource({ kind: 'table', table: 'orders', engine: 'auto' }), false);
    assert.throws(
      () => newSource({ kind: 'table', table: 'orders', engine: 'scan', incremental: true }),
      (err: unknown) => err instanceof ColdkeepError && err.code === 'InvalidInput' && /export/.test(err.hint ?? ''),
    );
  });

  test('concurrent updates are applied one after another and nothing is lost', async () => {
    const store = await tempStore();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.addSource(newSource({ kind: 'table', table: `t${i}` }))),
    );
    assert.equal((await store.sources()).length, 20);
    JSON.parse(await readFile(join(store.dir, 'sources.json'), 'utf8'));
  });
});

describe('schedule: scheduler', () => {
  test('start catches up a missed run once, records it, and a second catch-up does nothing', async () => {
    const store = await tempStore();
    const source = await store.addSource(tableSource({ cron: '0 2 * * *', createdAt: '2026-01-01T00:00:00' }));
    const { calls, runners } = recordingRunners(async () => ok('12 items'));
    const events: SchedulerEvent[] = [];
    const scheduler = new Scheduler({
      store,
      runners,
      now: () => new Date('2026-01-05T09:00:00'),
      onEvent: (e) => events.push(e),
    });
    const runs = await scheduler.catchUp();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.trigger, 'catch-up');
    assert.equal(runs[0]!.scheduledFor, new Date('2026-01-05T02:00:00').toISOString());
    assert.deepEqual(calls, [source.id]);
    assert.equal((await scheduler.catchUp()).length, 0);
    assert.deepEqual(calls, [source.id]);
    assert.equal((await store.history())[0]!.result?.summary, '12 items');
    assert.deepEqual(
      events.map((e) => e.type),
      ['run-started', 'run-finished'],
    );
  });

  test('no overlapping runs of one source: a second "run now" joins the run in progress', async () => {
    const store = await tempStore();
    const source = await store.addSource(tableSource());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { calls, runners } = recordingRunners(async () => {
      await gate;
      return ok();
    });
    const scheduler = new Scheduler({ store, runners });
    const a = scheduler.runNow(source.id);
    await until(() => calls.length > 0);
    const b = scheduler.runNow(source.id);
    const all = scheduler.runAll();
    assert.deepEqual(scheduler.runningSourceIds(), [source.id]);
    release();
    const [ra, rb, [rc]] = await Promise.all([a, b, all]);
    assert.equal(ra.runId, rb.runId);
    assert.equal(ra.runId, rc!.runId);
    assert.deepEqual(calls, [source.id]);
    assert.equal((await store.history()).length, 1);
  });

  test('a failed run is retried with backoff; a permanent failure is not', async () => {
    const store = await tempStore();
    const flaky = await store.addSource(tableSource({ id: 'flaky', table: 'flaky' }));
    const broken = await store.addSource(tableSource({ id: 'broken', table: 'broken' }));
    const { calls, runners } = recordingRunners(async (source, call) => {
      if (source.id === 'broken') throw new ColdkeepError('NoSuchTable', 'Table "broken" does not exist.');
      if (call < 3) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return ok();
    });
    const events: SchedulerEvent[] = [];
    const scheduler = new Scheduler({ store, runners, retry: quickRetry, onEvent: (e) => events.push(e) });
    const good = await scheduler.runNow(flaky.id);
    assert.equal(good.status, 'succeeded');
    assert.equal(good.attempts, 3);
    assert.equal(events.filter((e) => e.type === 'retrying').length, 2);
    const bad = await scheduler.runNow(broken.id);
    assert.equal(bad.status, 'failed');
    assert.equal(bad.attempts, 1);
    assert.deepEqual(bad.error, { code: 'NoSuchTable', message: 'Table "broken" does not exist.' });
    assert.equal(calls.filter((id) => id === 'broken').length, 1);
  });

  test('paused: no catch-up; resuming catches up', async () => {
    const store = await tempStore();
    await store.addSource(tableSource({ cron: '0 2 * * *', createdAt: '2026-01-01T00:00:00' }));
    const { calls, runners } = recordingRunners(async () => ok());
    const scheduler = new Scheduler({ store, runners, now: () => new Date('2026-01-03T09:00:00') });
    await scheduler.setPaused(true);
    assert.equal(scheduler.isPaused, true);
    assert.equal((await scheduler.catchUp()).length, 0);
    assert.equal(calls.length, 0);
    await scheduler.setPaused(false);
    assert.equal((await scheduler.catchUp()).length, 1);
    assert.equal((await store.read()).paused, false);
  });

  test('cancelAll stops a run: it is recorded as cancelled, not failed, and not retried', async () => {
    const store = await tempStore();
    const source = await store.addSource(tableSource());
    const { calls, runners } = recordingRunners(
      (_source, _call, signal) =>
        new Promise<RunReport>((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(new CancelledError())),
        ),
    );
    const scheduler = new Scheduler({ store, runners, retry: quickRetry });
    const run = scheduler.runNow(source.id);
    await until(() => calls.length > 0);
    assert.equal(scheduler.isRunning, true);
    await scheduler.cancelAll();
    assert.equal((await run).status, 'cancelled');
    assert.equal(scheduler.isRunning, false);
    assert.equal(calls.length, 1);
  });

  test('a cron schedule fires by itself, and stop() disarms it', async () => {
    const store = await tempStore();
    const source = await store.addSource(tableSource({ cron: '* * * * * *' }));
    const { calls, runners } = recordingRunners(async () => ok());
    const finished: string[] = [];
    const scheduler = new Scheduler({
      store,
      runners,
      onEvent: (e) => e.type === 'run-finished' && finished.push(e.run.trigger),
    });
    await scheduler.start();
    assert.ok(scheduler.nextRunAt(source.id));
    const deadline = Date.now() + 5000;
    while (!finished.includes('schedule') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    scheduler.stop();
    await scheduler.whenIdle();
    assert.ok(finished.includes('schedule'), `runs seen: ${finished.join(', ')}`);
    const count = calls.length;
    await new Promise((r) => setTimeout(r, 1300));
    assert.equal(calls.length, count, 'no run after stop()');
    assert.ok((await store.source(source.id)).lastScheduledAt);
  });

  test('a history that cannot be written is reported as an error event; the run still finishes', async () => {
    const store = await tempStore();
    const source = await store.addSource(tableSource());
    await mkdir(join(store.dir, 'history.json'));
    const events: SchedulerEvent[] = [];
    const scheduler = new Scheduler({
      store,
      runners: recordingRunners(async () => ok()).runners,
      onEvent: (e) => events.push(e),
    });
    const run = await scheduler.runNow(source.id);
    assert.equal(run.status, 'succeeded');
    const error = events.find((e) => e.type === 'error');
    assert.ok(error && error.type === 'error' && /history\.json/.test(error.error.message), JSON.stringify(events));
    assert.equal(events.at(-1)!.type, 'run-finished');
  });

  test('folder runs take a snapshot of the folder into the target, and a failure no retry can fix is not retried', async () => {
    const store = await tempStore();
    const source = await store.addSource(
      newSource({ kind: 'folder', dir: '/home/ada/Documents', excludes: ['*.tmp'] }),
    );
    const calls: unknown[] = [];
    let fail = false;
    const snapshot: BackupFolderFn = async (_clients, input) => {
      calls.push(input);
      if (fail) throw new ColdkeepError('NoSuchBucket', 'The bucket does not exist.');
      return { snapshotId: 'snap-1', files: 3, bytes: 2048, uploadedBytes: 1024 } as FolderBackupReport;
    };
    const clients = {} as AwsClients;
    const runners: SourceRunners = {
      table: async () => ok(),
      folder: folderRunner(() => ({ clients, bucket: 'backups', prefix: 'p' }), snapshot),
    };
    const scheduler = new Scheduler({ store, runners, retry: quickRetry });
    const run = await scheduler.runNow(source.id);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.result?.restorePoint, 'snap-1');
    assert.match(run.result?.summary ?? '', /3 files/);
    assert.deepEqual(calls[0], {
      dir: '/home/ada/Documents',
      bucket: 'backups',
      source: source.id,
      prefix: 'p',
      excludes: ['*.tmp'],
    });
    fail = true;
    const failed = await scheduler.runNow(source.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.error?.code, 'NoSuchBucket');
  });

  test("table runs pass the source's engine and incremental choice to backupTable", async () => {
    const store = await tempStore();
    const scan = await store.addSource(newSource({ kind: 'table', table: 'orders', engine: 'scan' }));
    const incremental = await store.addSource(
      newSource({ kind: 'table', table: 'events', engine: 'export', incremental: true }),
    );
    const plain = await store.addSource(newSource({ kind: 'table', table: 'users' }));
    const inputs: unknown[] = [];
    const backup: BackupTableFn = async (_clients, input) => {
      inputs.push(input);
      const engine = input.engine === 'scan' ? 'scan' : 'export';
      return {
        backupId: `b-${input.table}`,
        itemCount: 5,
        bytes: 100,
        engine,
        kind: input.incremental ? 'incremental' : 'full',
      } as BackupReport;
    };
    const clients = {} as AwsClients;
    const runners: SourceRunners = {
      table: tableRunner(() => ({ clients, bucket: 'backups' }), backup),
      folder: async () => ok(),
    };
    const scheduler = new Scheduler({ store, runners, retry: quickRetry });
    const scanRun = await scheduler.runNow(scan.id);
    const incrementalRun = await scheduler.runNow(incremental.id);
    await scheduler.runNow(plain.id);
    assert.deepEqual(inputs, [
      { table: 'orders', bucket: 'backups', engine: 'scan' },
      { table: 'events', bucket: 'backups', engine: 'export', incremental: true },
      { table: 'users', bucket: 'backups' },
    ]);
    assert.equal(scanRun.result?.report.engine, 'scan');
    assert.match(scanRun.result?.summary ?? '', /5 items, .*\(full scan\)/);
    assert.match(incrementalRun.result?.summary ?? '', /\(incremental export\)/);
  });
});

describe('emails about scheduled runs', () => {
  const run = (over: Partial<RunRecord>): RunRecord => ({
    runId: 'r1',
    sourceId: 's1',
    sourceName: '/home/me/Documents',
    kind: 'folder',
    trigger: 'schedule',
    scheduledFor: '2026-11-23T02:00:00.000Z',
    startedAt: '2026-11-23T02:00:01.000Z',
    finishedAt: '2026-11-23T02:00:03.000Z',
    durationMs: 2000,
    status: 'succeeded',
    attempts: 1,
    ...over,
  });

  test('a cancelled run is never emailed; "failures" emails only failed runs', () => {
    assert.equal(shouldNotify(run({ status: 'succeeded' }), 'all'), true);
    assert.equal(shouldNotify(run({ status: 'succeeded' }), 'failures'), false);
    assert.equal(shouldNotify(run({ status: 'failed' }), 'failures'), true);
    assert.equal(shouldNotify(run({ status: 'cancelled' }), 'all'), false);
    assert.equal(shouldNotify(run({ status: 'cancelled' }), 'failures'), false);
    // Partial: something asked for is not backed up; "failures" includes it.
    assert.equal(shouldNotify(run({ status: 'partial' }), 'failures'), true);
    assert.equal(shouldNotify(run({ status: 'partial' }), 'all'), true);
  });

  test("the summary is the job's own, from the kept report, plus how the run came about", () => {
    const report = folderBackupReport();
    const snapshot = runSummary(run({ result: { summary: '3 files', restorePoint: 'snap-1', report: { ...report } } }));
    assert.equal(snapshot.ok, true);
    assert.equal(snapshot.what, 'Scheduled snapshot of folder /home/me/Documents');
    assert.deepEqual(snapshot.facts.at(-1), ['Run', 'schedule for 2026-11-23T02:00:00.000Z']);
    assert.ok(snapshot.facts.some(([label, value]) => label === 'Snapshot id' && value === 'snap-1'));
    // A report without what the summary shows still makes an email, from the run's one line.
    const thin = runSummary(run({ result: { summary: '3 files', report: {} } }));
    assert.equal(thin.what, 'Scheduled backup of /home/me/Documents');
    assert.equal(thin.headline, '3 files');

    const failed = runSummary(
      run({
        status: 'failed',
        attempts: 3,
        error: { code: 'Throttled', message: 'Too many requests.', hint: 'Try later.' },
      }),
    );
    assert.equal(failed.ok, false);
    assert.equal(failed.what, 'Scheduled backup of /home/me/Documents');
    assert.deepEqual(failed.error, { code: 'Throttled', message: 'Too many requests.', hint: 'Try later.' });
    assert.deepEqual(failed.facts[0], ['Run', 'schedule for 2026-11-23T02:00:00.000Z, 3 tries']);
  });
});
