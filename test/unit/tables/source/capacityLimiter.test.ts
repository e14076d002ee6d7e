// Read capacity limiting on fake timers, and the read budget a scan gets.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { CapacityLimiter, readBudget } from '@coldkeep/shared';

describe('CapacityLimiter', () => {
  /** Lets the limiter's promise chains run (setImmediate is not mocked). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  /** Acquires, advancing the fake clock through every timer the limiter sets; returns the fake ms it waited. */
  async function acquireOnFakeTime(t: TestContext, limiter: CapacityLimiter): Promise<number> {
    const start = Date.now();
    let done = false;
    const acquired = limiter.acquire().then(() => {
      done = true;
    });
    await settle();
    for (let guard = 0; !done; guard++) {
      assert.ok(guard < 10_000, 'acquire never resolved');
      t.mock.timers.runAll();
      await settle();
    }
    await acquired;
    return Date.now() - start;
  }

  test('rejects a non-positive rate', () => {
    assert.throws(() => new CapacityLimiter(0), RangeError);
    assert.throws(() => new CapacityLimiter(-5), RangeError);
    assert.throws(() => new CapacityLimiter(Number.NaN), RangeError);
  });

  test('the burst passes at once; then debt makes the next acquire wait until it is paid off', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const limiter = new CapacityLimiter(10, 10, () => Date.now());
    assert.equal(await acquireOnFakeTime(t, limiter), 0);
    limiter.consume(30); // 10 in the bucket, 20 of debt: two seconds at 10/s
    let done = false;
    const acquired = limiter.acquire().then(() => {
      done = true;
    });
    await settle();
    assert.equal(done, false);
    t.mock.timers.tick(1000);
    await settle();
    assert.equal(done, false, 'still 10 units of debt after one second');
    t.mock.timers.tick(990);
    await settle();
    assert.equal(done, false, 'still in debt at 1.99 s');
    t.mock.timers.tick(20);
    await settle();
    assert.equal(done, true, 'out of debt after ~2 s');
    await acquired;
  });

  test('idle time fills the bucket only up to the burst', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const limiter = new CapacityLimiter(10, 10, () => Date.now());
    t.mock.timers.tick(60_000); // a minute idle would be 600 units without the cap
    assert.equal(await acquireOnFakeTime(t, limiter), 0);
    limiter.consume(15); // 10 in the bucket: 5 units of debt, half a second
    const waited = await acquireOnFakeTime(t, limiter);
    assert.ok(waited >= 500 && waited <= 510, `waited ${waited} ms`);
  });

  test('the long-run rate stays at unitsPerSecond (one worker)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const rate = 100;
    const burst = 100;
    const limiter = new CapacityLimiter(rate, burst, () => Date.now());
    let consumed = 0;
    for (let i = 0; i < 50; i++) {
      await acquireOnFakeTime(t, limiter);
      // Every request started so far fits the budget: burst + rate × elapsed.
      assert.ok(
        consumed <= burst + (rate * Date.now()) / 1000 + 1e-9,
        `request ${i} at ${Date.now()} ms after ${consumed} units`,
      );
      limiter.consume(10);
      consumed += 10;
    }
    // 490 units were consumed before the last request could start: (490 - 100) / 100 s at least.
    const elapsed = Date.now();
    assert.ok(elapsed >= 3900, `took ${elapsed} ms`);
    assert.ok(elapsed <= 3900 + 50 * 2, `took ${elapsed} ms: waits should be only as long as the debt needs`);
  });

  test('the long-run rate holds with several workers sharing one limiter', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const rate = 50;
    const burst = 50;
    const cost = 5;
    const limiter = new CapacityLimiter(rate, burst, () => Date.now());
    let consumed = 0;
    let maxOver = -Infinity;
    let finished = 0;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        await limiter.acquire();
        maxOver = Math.max(maxOver, consumed - (burst + (rate * Date.now()) / 1000));
        limiter.consume(cost);
        consumed += cost;
      }
      finished++;
    };
    const workers = Array.from({ length: 4 }, worker);
    for (let guard = 0; finished < 4; guard++) {
      assert.ok(guard < 100_000, 'workers never finished');
      await settle();
      t.mock.timers.runAll();
    }
    await Promise.all(workers);
    assert.equal(consumed, 400);
    // Workers that pass together may overshoot by one request each, never more.
    assert.ok(maxOver <= 4 * cost, `overshoot ${maxOver}`);
    assert.ok(Date.now() >= ((400 - burst - 4 * cost) / rate) * 1000, `took ${Date.now()} ms`);
  });
});

describe('readBudget', () => {
  test('readBudget: explicit units win; else a fraction of provisioned capacity (at least 1); else no limit', () => {
    assert.equal(readBudget({ provisionedReadUnits: 1000, fraction: 0.5, unitsPerSecond: 42 }), 42);
    assert.equal(readBudget({ provisionedReadUnits: 1000, fraction: 0.5 }), 500);
    assert.equal(readBudget({ provisionedReadUnits: 1, fraction: 0.5 }), 1);
    assert.equal(readBudget({ provisionedReadUnits: 3, fraction: 0.1 }), 1);
    assert.equal(readBudget({ fraction: 0.5 }), undefined);
    assert.equal(readBudget({ provisionedReadUnits: 0, fraction: 0.5 }), undefined);
    assert.equal(readBudget({ provisionedReadUnits: 100 }), undefined);
    assert.equal(readBudget({ unitsPerSecond: 7 }), 7);
  });
});
