import { backupIdTime } from '../../storage/backupId';
import { ColdkeepError } from '../../base/errors/ColdkeepError';

/** Which snapshots to keep; a snapshot kept by any rule is kept. */
export interface RetentionPolicy {
  /** The newest N. */
  last?: number;
  /** The newest snapshot of each of the last N days (UTC) that have one. */
  daily?: number;
  weekly?: number;
  monthly?: number;
}

export interface RetentionDecision {
  snapshotId: string;
  keep: boolean;
  /** The rules that keep it ("last", "daily 2026-11-23", …). */
  reasons: string[];
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const BUCKETS: Record<'daily' | 'weekly' | 'monthly', (d: Date) => string> = {
  daily: (d) => d.toISOString().slice(0, 10),
  weekly: isoWeek,
  monthly: (d) => d.toISOString().slice(0, 7),
};

export function checkRetentionPolicy(policy: RetentionPolicy): void {
  const values = [policy.last, policy.daily, policy.weekly, policy.monthly];
  if (values.some((v) => v !== undefined && (!Number.isInteger(v) || v < 0))) {
    throw new ColdkeepError('InvalidInput', 'Retention counts must be whole numbers of 0 or more.', {
      hint: 'e.g. {setting:keepLast=3}, {setting:keepDaily=7}, {setting:keepWeekly=4}, {setting:keepMonthly=12}',
    });
  }
  if (!values.some((v) => v !== undefined && v > 0)) {
    throw new ColdkeepError('InvalidInput', 'A retention policy that keeps nothing would forget every snapshot.', {
      hint: 'Give at least one of {setting:keepLast}, {setting:keepDaily}, {setting:keepWeekly}, {setting:keepMonthly}.',
    });
  }
}

/**
 * Applies a retention policy to snapshot ids (which sort by time), restic-style: for daily, the
 * newest snapshot of each day is kept, for the N most recent days that have a snapshot.
 */
export function applyRetention(snapshotIds: string[], policy: RetentionPolicy): RetentionDecision[] {
  checkRetentionPolicy(policy);
  const newestFirst = [...snapshotIds].sort().reverse();
  const decisions = newestFirst.map((snapshotId) => ({ snapshotId, keep: false, reasons: [] as string[] }));
  decisions.slice(0, policy.last ?? 0).forEach((d) => {
    d.keep = true;
    d.reasons.push('last');
  });
  for (const rule of ['daily', 'weekly', 'monthly'] as const) {
    const limit = policy[rule] ?? 0;
    const seen = new Set<string>();
    for (const d of decisions) {
      if (seen.size >= limit) break;
      const time = backupIdTime(d.snapshotId);
      if (!time) continue;
      const bucket = BUCKETS[rule](time);
      if (seen.has(bucket)) continue;
      seen.add(bucket);
      d.keep = true;
      d.reasons.push(`${rule} ${bucket}`);
    }
  }
  // Ids Coldkeep did not make carry no time: never forget them by a time rule's silence.
  for (const d of decisions) {
    if (!backupIdTime(d.snapshotId) && !d.keep) {
      d.keep = true;
      d.reasons.push('unknown time');
    }
  }
  return decisions;
}
