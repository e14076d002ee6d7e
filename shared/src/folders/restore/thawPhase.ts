import { type ObjectArchiveState, thawArchived } from '../../storage/thawArchived';
import { packsDir, type SourceLocation } from '../repository/layout';
import type { RestoreStart, SnapshotRestorePlan } from './restoreRun';

/**
 * Phase "thaw", when the files need archived objects: their retrieval is started (RestoreObject,
 * tier of choice); with `wait` it polls until they are readable, without it the restore stops
 * with ArchivedObjects, saying what it waits for and when to come back.
 */
export async function thawArchivedObjects(start: RestoreStart, { archived }: SnapshotRestorePlan): Promise<void> {
  if (!archived.length) return;
  const { input, loc, progress, emit } = start;
  progress.phase = 'thaw';
  emit({ waitingFor: archived.length });
  await thawArchived(
    start.clients.s3,
    loc.bucket,
    archived,
    {
      tier: input.tier,
      days: input.days,
      wait: input.wait,
      pollIntervalMs: input.pollIntervalMs,
      noun: archivedNoun(archived, loc),
    },
    start.signal,
    (pending: ObjectArchiveState[]) => emit({ phase: 'thaw', waitingFor: pending.length }),
  );
}

/** What the thaw messages call the archived objects: blobs, packs, or both. */
function archivedNoun(keys: string[], loc: SourceLocation): string {
  const packs = keys.filter((k) => k.startsWith(packsDir(loc))).length;
  return packs === 0 ? 'blobs' : packs === keys.length ? 'packs' : 'blobs and packs';
}
