import { childAbortController } from './job';

/**
 * Runs `work` for every item with at most `concurrency` at once. Workers pull from one
 * shared iterator; the first failure aborts the signal the others see, and is rethrown
 * once they have all stopped, so nothing is still running when this settles.
 */
export async function runPool<T>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T, signal: AbortSignal) => Promise<void>,
  parentSignal?: AbortSignal,
): Promise<void> {
  const controller = childAbortController(parentSignal);
  const iterator = items[Symbol.iterator]();
  let firstError: unknown;
  let failed = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (controller.signal.aborted) return;
      const next = iterator.next();
      if (next.done) return;
      try {
        await work(next.value, controller.signal);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
          controller.abort(err);
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failed) throw firstError;
  if (parentSignal?.aborted) throw parentSignal.reason ?? new Error('aborted');
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * `runPool` over an async source (a directory walk, a paginated listing): workers pull from
 * one async iterator, so the source is read only as fast as the work is done and memory stays
 * bounded by `concurrency`. Same failure and cancel rules as `runPool`.
 */
export async function runPoolAsync<T>(
  items: AsyncIterable<T>,
  concurrency: number,
  work: (item: T, signal: AbortSignal) => Promise<void>,
  parentSignal?: AbortSignal,
): Promise<void> {
  const controller = childAbortController(parentSignal);
  const iterator = items[Symbol.asyncIterator]();
  let firstError: unknown;
  let failed = false;
  const fail = (err: unknown): void => {
    if (!failed) {
      failed = true;
      firstError = err;
      controller.abort(err);
    }
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      if (controller.signal.aborted) return;
      let next: IteratorResult<T>;
      try {
        next = await iterator.next();
      } catch (err) {
        fail(err);
        return;
      }
      if (next.done) return;
      try {
        await work(next.value, controller.signal);
      } catch (err) {
        fail(err);
        return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    if (failed || controller.signal.aborted) await iterator.return?.(undefined)?.catch?.(() => undefined);
  }
  if (failed) throw firstError;
  if (parentSignal?.aborted) throw parentSignal.reason ?? new Error('aborted');
}
