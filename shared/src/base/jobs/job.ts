import { setMaxListeners } from 'node:events';
import { CancelledError } from '../errors/ColdkeepError';

/**
 * Every long operation in Coldkeep has one shape:
 *   (input, { signal, onProgress }) => Promise<Report>
 * Front ends only render the progress events and the final report.
 */
export interface JobOptions<Progress> {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

export type Job<Input, Progress, Report> = (input: Input, options?: JobOptions<Progress>) => Promise<Report>;

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Waits `ms`, or rejects with CancelledError as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts when the parent does, or when `abort()` is called (first failure stops the rest). */
export function childAbortController(parent: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  // Every in-flight request and backoff timer listens on the signal; dozens at once are expected.
  setMaxListeners(0, controller.signal);
  if (parent) {
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  }
  return controller;
}
