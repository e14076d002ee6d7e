import { setMaxListeners } from 'node:events';
import { CancelledError } from '../errors/ColdkeepError';

/**
 * The last argument of every long operation (the job shape: ARCHITECTURE.md, "Jobs"): the signal
 * that cancels it, and where its progress events go. Front ends only render those and the report.
 */
export interface JobOptions<Progress> {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

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
