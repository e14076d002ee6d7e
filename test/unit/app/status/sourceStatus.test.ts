// A source's state (protected / needs attention / failing) and its reasons, from schedule, history and drill records.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  ageText,
  type DrillRecord,
  DrillRecords,
  newSource,
  overallState,
  readSourceStatuses,
  type RunRecord,
  ScheduleStore,
  sourceStatus,
  type SourceStatusInput,
  statusText,
} from '@coldkeep/shared';

const now = new Date('2026-12-07T10:00:00.000Z');
// Every night at 02:00 UTC, added a week ago.
const nightly = {
  ...newSource({ kind: 'table', table: 'Orders', cron: '0 2 * * *' }, new Date('2026-11-30T00:00:00Z')),
};

function run(status: RunRecord['status'], finishedAt: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: `r-${finishedAt}`,
    sourceId: nightly.id,
    sourceName: 'Orders',
    kind: 'table',
    trigger: 'schedule',
    startedAt: finishedAt,
    finishedAt,
    durationMs: 1000,
    status,
    attempts: 1,
    ...(status === 'failed' ? { error: { code: 'AccessDenied', message: 'not allowed' } } : {}),
    ...(status === 'partial' || status === 'succeeded'
      ? {
          result: {
            summary: '10 items',
            report: {},
            ...(status === 'partial' ? { incomplete: '2 files not backed up' } : {}),
          },
        }
      : {}),
    ...extra,
  };
}

function drill(status: DrillRecord['status'], at: string, restoreMs = 1234): DrillRecord {
  return { source: 'table:Orders', status, at, restoreMs, restorePoint: 'b-1', summary: `${status} drill` };
}

const verified = {
  last: drill('succeeded', '2026-12-06T04:00:00.000Z'),
  lastVerified: drill('succeeded', '2026-12-06T04:00:00.000Z'),
};
const lastNight = '2026-12-07T02:05:00.000Z';

function status(input: Partial<SourceStatusInput>) {
  return sourceStatus({ kind: 'table', name: 'Orders', schedule: nightly, runs: [], drill: {}, now, ...input });
}

describe('source status', () => {
  test('protected: last night backed up, a drill passed; the verified restore and its time are given', () => {
    const s = status({
      runs: [run('succeeded', '2026-12-06T02:04:00.000Z'), run('succeeded', lastNight)],
      drill: verified,
    });
    assert.equal(s.state, 'protected');
    assert.deepEqual(s.reasons, []);
    assert.equal(s.headline, 'protected');
    assert.equal(s.lastGoodBackupAt, lastNight);
    assert.deepEqual(s.lastRun, { status: 'succeeded', at: lastNight, summary: '10 items' });
    assert.deepEqual(s.lastVerified, { at: '2026-12-06T04:00:00.000Z', restoreMs: 1234, restorePoint: 'b-1' });
    assert.equal(s.verifiedText, 'verified 2026-12-06 04:00Z, restore 1.2 s');
    assert.equal(s.drillProblem, false);
    assert.equal(s.nextRunAt, '2026-12-08T02:00:00.000Z');
    assert.equal(s.key, 'table:Orders');
  });

  test('needs attention: never verified', () => {
    const s = status({ runs: [run('succeeded', lastNight)] });
    assert.equal(s.state, 'attention');
    assert.deepEqual(s.reasons, [{ level: 'attention', code: 'never-verified', text: 'never verified' }]);
    assert.equal(s.verifiedText, 'never verified');
    assert.equal(statusText(s), 'needs attention: never verified');
  });

  test('needs attention: overdue by its schedule, counted from the first time it was due after the last backup', () => {
    // Last good backup on the 4th: due on the 5th at 02:00, now the 7th at 10:00.
    const s = status({ runs: [run('succeeded', '2026-12-04T02:03:00.000Z')], drill: verified });
    assert.equal(s.state, 'attention');
    assert.deepEqual(s.overdue, { dueAt: '2026-12-05T02:00:00.000Z', byMs: (2 * 24 + 8) * 3600_000 });
    assert.equal(s.headline, 'overdue by 2 days');
    // Within the grace after its time (a run that is retrying, or still running) it is not overdue yet.
    const early = status({
      runs: [run('succeeded', '2026-12-06T02:03:00.000Z')],
      drill: verified,
      now: new Date('2026-12-07T02:30:00Z'),
    });
    assert.equal(early.state, 'protected');
    // A disabled source expects nothing.
    const off = status({
      schedule: { ...nightly, enabled: false },
      runs: [run('succeeded', '2026-12-01T02:00:00Z')],
      drill: verified,
    });
    assert.equal(off.overdue, undefined);
    assert.equal(off.nextRunAt, undefined);
    // Paused: nothing runs next, yet the backup missed is still missing.
    const paused = status({ paused: true, runs: [run('succeeded', '2026-12-04T02:03:00.000Z')], drill: verified });
    assert.equal(paused.headline, 'overdue by 2 days');
    assert.equal(paused.nextRunAt, undefined);
  });

  test('needs attention: the last backup partial (it ran: not overdue)', () => {
    const s = status({
      runs: [run('succeeded', '2026-12-01T02:03:00.000Z'), run('partial', lastNight)],
      drill: verified,
    });
    assert.equal(s.state, 'attention');
    assert.deepEqual(s.reasons, [{ level: 'attention', code: 'backup-partial', text: 'last backup partial' }]);
    assert.equal(s.lastGoodBackupAt, '2026-12-01T02:03:00.000Z', 'a partial backup is not a good one');
    assert.equal(s.lastRun?.summary, '2 files not backed up');
  });

  test('failing: the last backup failed, even after an older success; the failure is said first', () => {
    const s = status({ runs: [run('failed', lastNight), run('succeeded', '2026-12-06T02:04:00.000Z')] });
    assert.equal(s.state, 'failing');
    assert.deepEqual(s.reasons, [
      { level: 'failing', code: 'backup-failed', text: 'last backup failed (AccessDenied)' },
      // Due last night at 02:00, and the run that failed did not make it.
      { level: 'attention', code: 'overdue', text: 'overdue by 8 hours' },
      { level: 'attention', code: 'never-verified', text: 'never verified' },
    ]);
    assert.equal(s.lastRun?.summary, 'not allowed');
    assert.equal(s.lastGoodBackupAt, '2026-12-06T02:04:00.000Z');
  });

  test('failing: the last drill failed, even after an older verified restore (which is still given)', () => {
    const s = status({
      runs: [run('succeeded', lastNight)],
      drill: { last: drill('failed', '2026-12-07T04:00:00.000Z'), lastVerified: verified.lastVerified },
    });
    assert.equal(s.state, 'failing');
    assert.equal(s.headline, 'last drill failed');
    assert.equal(s.drillProblem, true);
    assert.equal(s.lastVerified?.at, '2026-12-06T04:00:00.000Z');
    assert.match(s.verifiedText, /^drill FAILED 2026-12-07 04:00Z; verified 2026-12-06 04:00Z, restore 1\.2 s$/);
  });

  test('a cancelled backup or drill needs attention, never counts as done; a partial drill too', () => {
    assert.deepEqual(
      status({
        runs: [run('succeeded', '2026-12-06T02:04:00.000Z'), run('cancelled', lastNight)],
        drill: verified,
      }).reasons.map((r) => r.text),
      ['overdue by 8 hours', 'last backup cancelled'],
    );
    const cancelledDrill = status({
      runs: [run('succeeded', lastNight)],
      drill: { last: drill('cancelled', '2026-12-07T04:00:00.000Z'), lastVerified: verified.lastVerified },
    });
    assert.deepEqual(cancelledDrill.reasons, [
      { level: 'attention', code: 'drill-cancelled', text: 'last drill cancelled' },
    ]);
    const partialDrill = status({
      runs: [run('succeeded', lastNight)],
      drill: {
        last: drill('partial', '2026-12-07T04:00:00.000Z'),
        lastVerified: drill('partial', '2026-12-07T04:00:00.000Z'),
      },
    });
    assert.equal(partialDrill.headline, 'last drill partial');
  });

  test('no backup: said when the catalog was read or the schedule has it; unknown otherwise', () => {
    assert.deepEqual(
      status({ schedule: undefined, latestBackupAt: null, drill: verified }).reasons.map((r) => r.text),
      ['no backup yet'],
    );
    const scheduledNever = status({ drill: verified });
    assert.deepEqual(
      scheduledNever.reasons.map((r) => r.text),
      ['overdue by 7 days', 'no backup yet'],
      'due since the first time after it was added',
    );
    // A table the Tables view lists, not scheduled, catalog not read: nothing said of its backups.
    assert.deepEqual(status({ schedule: undefined, drill: verified }).reasons, []);
    // The catalog's latest backup counts as the last good one.
    const fromCatalog = status({ runs: [], latestBackupAt: lastNight, drill: verified });
    assert.equal(fromCatalog.state, 'protected');
    assert.equal(fromCatalog.lastGoodBackupAt, lastNight);
  });

  test('drill runs in the history are not backups', () => {
    const s = status({
      runs: [run('succeeded', lastNight), run('failed', '2026-12-07T04:00:00.000Z', { drill: true })],
      drill: verified,
    });
    assert.equal(s.state, 'protected');
    assert.equal(s.lastRun?.at, lastNight);
  });

  test('overall: the worst of all; words for spans', () => {
    assert.equal(overallState([{ state: 'protected' }, { state: 'attention' }]), 'attention');
    assert.equal(overallState([{ state: 'attention' }, { state: 'failing' }]), 'failing');
    assert.equal(overallState([]), 'protected');
    assert.equal(ageText(59_000), '0 minutes');
    assert.equal(ageText(61_000), '1 minute');
    assert.equal(ageText(5 * 3600_000), '5 hours');
    assert.equal(ageText(49 * 3600_000), '2 days');
  });

  test('read from a schedule folder: one status per table or folder, its backup runs and drills; subjects after', async () => {
    const store = new ScheduleStore(await mkdtemp(join(tmpdir(), 'coldkeep-status-')));
    const backup = await store.addSource(nightly);
    const drillSource = await store.addSource(
      newSource({ kind: 'table', table: 'Orders', drill: true, cron: '0 4 * * 0' }),
    );
    const folder = await store.addSource(newSource({ kind: 'folder', dir: '/data/photos', cron: '0 3 * * *' }, now));
    await store.appendRun(run('failed', '2026-12-06T02:04:00.000Z', { sourceId: backup.id }));
    await store.appendRun(run('succeeded', lastNight, { sourceId: backup.id }));
    await store.appendRun(run('failed', '2026-12-07T04:00:00.000Z', { sourceId: drillSource.id, drill: true }));
    await store.appendRun(run('failed', '2026-12-07T03:00:00.000Z', { sourceId: folder.id, kind: 'folder' }));
    const drills = new DrillRecords(join(store.dir, 'drills.json'));
    await drills.record(drill('succeeded', '2026-12-07T04:00:00.000Z', 900));

    const statuses = await readSourceStatuses(store, {
      now,
      subjects: [
        { kind: 'table', name: 'Orders', latestBackupAt: lastNight },
        { kind: 'table', name: 'Users', latestBackupAt: null },
      ],
    });
    assert.deepEqual(
      statuses.map((s) => [s.key, s.state, s.headline]),
      [
        ['table:Orders', 'protected', 'protected'],
        ['folder:/data/photos', 'failing', 'last backup failed (AccessDenied)'],
        ['table:Users', 'attention', 'no backup yet'],
      ],
    );
    assert.equal(statuses[0]!.lastVerified?.restoreMs, 900);
    assert.equal(statuses[0]!.lastRun?.at, lastNight, "the drill source's run is not the backup's last run");
  });
});
