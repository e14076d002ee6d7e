import { ColdkeepError } from '@coldkeep/shared';
import type { RunningJobs } from './lifecycle';

/**
 * The restores started from the window: one per source at a time, each cancellable from the
 * page, and running jobs to the quit guard, so quitting mid-restore asks first and a cancel stops
 * the restore cleanly (its error then says what was and was not written).
 */
export class RestoreJobs implements RunningJobs {
  private readonly running = new Map<string, { controller: AbortController; settled: Promise<void> }>();

  async run<T>(sourceId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running.has(sourceId)) {
      throw new ColdkeepError('RunInProgress', 'A restore of this source is already running.', {
        hint: 'Wait for it to finish, or cancel it.',
      });
    }
    const controller = new AbortController();
    const done = work(controller.signal);
    this.running.set(sourceId, {
      controller,
      settled: done.then(
        () => undefined,
        () => undefined,
      ),
    });
    try {
      return await done;
    } finally {
      this.running.delete(sourceId);
    }
  }

  /** Cancels the restore of this source; false when none runs. */
  cancel(sourceId: string): boolean {
    const job = this.running.get(sourceId);
    job?.controller.abort();
    return job !== undefined;
  }

  get isRunning(): boolean {
    return this.running.size > 0;
  }

  async cancelAll(): Promise<void> {
    for (const job of this.running.values()) job.controller.abort();
    await this.whenIdle();
  }

  async whenIdle(): Promise<void> {
    await Promise.all([...this.running.values()].map((job) => job.settled));
  }
}
