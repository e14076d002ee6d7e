// runPool: bounded concurrency, the first failure stops the rest, and parent aborts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, runPool } from '@coldkeep/shared';

describe('runPool', () => {
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const waitForAbort = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
    );

  test('runs every item with at most `concurrency` at once', async () => {
    let active = 0;
    let maxActive = 0;
    const done: number[] = [];
    await runPool(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (item) => {
        active++;
        maxActive = Math.max(maxActive, active);
        for (let i = 0; i < (item % 4) + 1; i++) await tick();
        active--;
        done.push(item);
      },
    );
    assert.equal(maxActive, 3);
    assert.deepEqual(
      [...done].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  test('concurrency below 1 still runs one at a time', async () => {
    let active = 0;
    let maxActive = 0;
    let count = 0;
    await runPool([1, 2, 3], 0, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await tick();
      active--;
      count++;
    });
    assert.equal(maxActive, 1);
    assert.equal(count, 3);
  });

  test('the first failure aborts the others, starts nothing new, and is rethrown once all have stopped', async () => {
    const boom = new Error('boom');
    const started: number[] = [];
    const sawAbort: number[] = [];
    const stopped: number[] = [];
    const promise = runPool(
      Array.from({ length: 10 }, (_, i) => i),
      3,
      async (item, signal) => {
        started.push(item);
        if (item === 1) {
          await tick();
          throw boom;
        }
        if (item === 2) {
          await tick();
          await tick();
          throw new Error('second failure, not rethrown');
        }
        await waitForAbort(signal);
        sawAbort.push(item);
        await tick();
        await tick();
        stopped.push(item);
      },
    );
    await assert.rejects(promise, (err: unknown) => err === boom);
    assert.deepEqual(started, [0, 1, 2]);
    assert.deepEqual(sawAbort, [0]);
    assert.deepEqual(stopped, [0], 'runPool settled before item 0 had stopped');
  });

  test('a parent abort stops the pool and rejects with the parent reason', async () => {
    const parent = new AbortController();
    const reason = new CancelledError('user cancelled');
    const started: number[] = [];
    const sawAbort: number[] = [];
    const promise = runPool(
      Array.from({ length: 10 }, (_, i) => i),
      2,
      async (item, signal) => {
        started.push(item);
        if (item === 3) parent.abort(reason);
        await tick();
        if (signal.aborted) sawAbort.push(item);
      },
      parent.signal,
    );
    await assert.rejects(promise, (err: unknown) => err === reason);
    // Items 2 and 3 were running when the parent aborted; nothing started after.
    assert.deepEqual(started, [0, 1, 2, 3]);
    assert.deepEqual(sawAbort.sort(), [2, 3]);
  });

  test('an already aborted parent runs nothing', async () => {
    const parent = new AbortController();
    parent.abort(new CancelledError());
    let calls = 0;
    await assert.rejects(
      runPool([1, 2, 3], 2, async () => void calls++, parent.signal),
      (err: unknown) => err instanceof CancelledError,
    );
    assert.equal(calls, 0);
  });
});
