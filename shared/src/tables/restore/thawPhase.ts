import { type ThawOptions, thawArchived } from '../../storage/thawArchived';
import type { RestoreStart } from './restoreRun';

/** The part of a table restore's progress the thaw phase moves. */
export interface ThawingProgress {
  phase: string;
  /** Archived files still being retrieved, while waiting. */
  waitingFor?: number;
}

/**
 * Phase "thaw": every data file of the plan readable before any is read. Archived ones get
 * their retrieval started (RestoreObject); with `thaw.wait` this polls until they are readable,
 * without it the restore stops with ArchivedObjects, saying what it waits for. `countWaiting`:
 * the progress says how many files are still awaited (the item restore's progress does not).
 */
export async function thawDataFiles(
  start: RestoreStart<ThawingProgress>,
  thaw: ThawOptions | undefined,
  { countWaiting }: { countWaiting: boolean },
): Promise<void> {
  const { plan, progress, emit } = start;
  progress.phase = 'thaw';
  emit();
  await thawArchived(
    start.clients.s3,
    plan.bucket,
    plan.files.map((f) => f.key),
    thaw ?? {},
    start.signal,
    countWaiting
      ? (pending) => {
          progress.waitingFor = pending.length;
          emit();
        }
      : undefined,
  );
  delete progress.waitingFor;
}
