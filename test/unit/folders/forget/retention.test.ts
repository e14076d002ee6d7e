// Which folder snapshots a retention policy keeps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyRetention, ColdkeepError } from '@coldkeep/shared';

describe('retention', () => {
  // Two a day at 09:00 and 21:00 from 2026-10-01 to 2026-11-23 (UTC).
  const ids: string[] = [];
  for (let t = Date.UTC(2026, 9, 1, 9); t <= Date.UTC(2026, 10, 23, 21); t += 12 * 3_600_000) {
    ids.push(
      `${new Date(t)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}Z$/, 'Z')}-abcd`,
    );
  }
  const kept = (policy: Parameters<typeof applyRetention>[1]): string[] =>
    applyRetention(ids, policy)
      .filter((d) => d.keep)
      .map((d) => d.snapshotId.slice(0, 11));

  test('keep-last keeps the newest N', () => {
    assert.deepEqual(kept({ last: 3 }), ['20261123T21', '20261123T09', '20261122T21']);
  });
  test('daily keeps the newest of each of the last N days', () => {
    assert.deepEqual(kept({ daily: 3 }), ['20261123T21', '20261122T21', '20261121T21']);
  });
  test('weekly and monthly use ISO weeks and calendar months', () => {
    // 2026-11-23 is a Monday: its week holds one day; the week before ends on Sunday the 22nd.
    assert.deepEqual(kept({ weekly: 2 }), ['20261123T21', '20261122T21']);
    assert.deepEqual(kept({ monthly: 3 }), ['20261123T21', '20261031T21']);
  });
  test('rules add up, each snapshot kept once, with its reasons', () => {
    const decisions = applyRetention(ids, { last: 1, daily: 2, monthly: 2 });
    const newest = decisions[0]!;
    assert.deepEqual(newest.reasons, ['last', 'daily 2026-11-23', 'monthly 2026-11']);
    assert.equal(decisions.filter((d) => d.keep).length, 3);
  });
  test('a policy that keeps nothing is refused', () => {
    assert.throws(
      () => applyRetention(ids, {}),
      (err: ColdkeepError) => err.code === 'InvalidInput',
    );
    assert.throws(
      () => applyRetention(ids, { last: -1 }),
      (err: ColdkeepError) => err.code === 'InvalidInput',
    );
  });
});
