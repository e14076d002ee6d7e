import { join } from 'node:path';
import { z } from 'zod';
import { JsonFileStore } from '../../base/state/jsonFileStore';
import { defaultScheduleDir } from './runHistory';

// The last restore drill of each source, kept in the schedule folder (beside the run history): what `backups list`,
// `schedule list` and the front ends show as "last verified restore" and "restore time".

export const drillRecordSchema = z.object({
  /** "table:<name>" or "folder:<snapshot source>" (see drillSourceKey). */
  source: z.string(),
  status: z.enum(['succeeded', 'partial', 'failed', 'cancelled']),
  at: z.string(),
  /** The backup or snapshot drilled. */
  restorePoint: z.string().optional(),
  /** Measured restore time of this drill (to a readable table, or the sample restored). */
  restoreMs: z.number().optional(),
  /** One line: what failed, or what was not read. */
  summary: z.string(),
});
export type DrillRecord = z.infer<typeof drillRecordSchema>;

const fileSchema = z.object({
  version: z.literal(1),
  /** Per source: the last drill, and the last one that succeeded (the last verified restore). */
  sources: z.record(z.string(), z.object({ last: drillRecordSchema, lastVerified: drillRecordSchema.optional() })),
});
type DrillFile = z.infer<typeof fileSchema>;

/** What a front end shows for a source: never drilled, or its last drill and last verified restore. */
export interface DrillStatus {
  last?: DrillRecord;
  lastVerified?: DrillRecord;
}

/** A table by its name; a folder by its snapshot source (what "coldkeep drill folder SOURCE" and "files snapshots" name). */
export function drillSourceKey(kind: 'table' | 'folder', name: string): string {
  return `${kind}:${name}`;
}

export class DrillRecords {
  private readonly store: JsonFileStore<DrillFile>;
  constructor(path: string = join(defaultScheduleDir(), 'drills.json')) {
    this.store = new JsonFileStore(path, fileSchema, () => ({ version: 1, sources: {} }));
  }

  async record(record: DrillRecord): Promise<void> {
    await this.store.update((file) => {
      const before = file.sources[record.source];
      const lastVerified = record.status === 'succeeded' ? record : before?.lastVerified;
      return {
        ...file,
        sources: { ...file.sources, [record.source]: { last: record, ...(lastVerified ? { lastVerified } : {}) } },
      };
    });
  }

  async status(source: string): Promise<DrillStatus> {
    return (await this.store.read()).sources[source] ?? {};
  }

  async all(): Promise<Record<string, DrillStatus>> {
    return (await this.store.read()).sources;
  }
}

/**
 * One line for a list: "never verified", "verified 2026-12-07 19:20Z, restore 1.2 s", or
 * "FAILED 2026-12-07 …" (a failed last drill is said first, even after an older success).
 */
export function drillStatusText(status: DrillStatus, duration: (ms: number) => string): string {
  const when = (r: DrillRecord): string => r.at.replace('T', ' ').replace(/:\d\d\.\d+Z$|:\d\dZ$/, 'Z');
  const verified = status.lastVerified
    ? `verified ${when(status.lastVerified)}` +
      (status.lastVerified.restoreMs !== undefined ? `, restore ${duration(status.lastVerified.restoreMs)}` : '')
    : 'never verified';
  const last = status.last;
  if (!last || last.status === 'succeeded') return verified;
  const word = last.status === 'partial' ? 'PARTLY verified' : last.status === 'failed' ? 'FAILED' : 'cancelled';
  return `drill ${word} ${when(last)}; ${verified}`;
}
