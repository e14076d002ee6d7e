import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { ColdkeepError } from '../errors/ColdkeepError';

/** Runs `work` with nobody else in the section; the result is work's. */
export type Exclusive = <R>(work: () => Promise<R>) => Promise<R>;

/** One after another within this process: what a single file needs when only one process writes it. */
export function inProcessQueue(): Exclusive {
  let queue: Promise<unknown> = Promise.resolve();
  return <R>(work: () => Promise<R>): Promise<R> => {
    const next = queue.then(work);
    // The queue goes on after a failed section; the caller still sees the failure.
    queue = next.catch(() => undefined);
    return next;
  };
}

/**
 * A lock a folder's readers-and-writers share across processes (the CLI's `schedule run`s, the
 * desktop app): a `.lock` directory made with proper-lockfile (mkdir is atomic), its mtime
 * refreshed while held; one left by a crashed process is taken over once 10 s old. Sections
 * are short (read, change, rename into place), so waiting is brief; long jobs never hold it.
 */
export function folderLock(dir: string): Exclusive {
  const queue = inProcessQueue();
  return <R>(work: () => Promise<R>): Promise<R> =>
    queue(async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      let compromised: Error | undefined;
      let release: () => Promise<void>;
      try {
        release = await lock(dir, {
          lockfilePath: join(dir, '.lock'),
          realpath: false,
          stale: 10_000,
          retries: { retries: 300, factor: 1.3, minTimeout: 5, maxTimeout: 200, randomize: true },
          onCompromised: (err) => (compromised = err),
        });
      } catch (err) {
        throw new ColdkeepError('Unexpected', `Could not lock the schedule folder ${dir}.`, {
          hint: `Another Coldkeep process holds ${join(dir, '.lock')}; if none is running, remove that folder.`,
          cause: err,
        });
      }
      try {
        const result = await work();
        if (compromised) throw compromised;
        return result;
      } finally {
        await release().catch(() => undefined);
      }
    });
}
