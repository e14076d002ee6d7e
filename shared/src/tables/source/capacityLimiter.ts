import { sleep } from '../../base/jobs/job';

/**
 * A token bucket of capacity units per second, shared by all the workers of one job.
 * Workers ask before a request and pay what DynamoDB says the request consumed
 * (ReturnConsumedCapacity), so the bucket may run into debt; the next request waits
 * until the debt is paid off. That keeps the long-run rate at `unitsPerSecond`
 * without knowing a request's cost in advance.
 */
export class CapacityLimiter {
  private tokens: number;
  private last: number;

  constructor(
    readonly unitsPerSecond: number,
    /** Burst allowance, in units; one second's worth by default. */
    private readonly burst: number = unitsPerSecond,
    private readonly now: () => number = Date.now,
  ) {
    if (!(unitsPerSecond > 0)) throw new RangeError(`unitsPerSecond must be positive, got ${unitsPerSecond}`);
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.unitsPerSecond);
    this.last = t;
  }

  /** Resolves when the bucket is out of debt. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens > 0) return;
      await sleep(Math.ceil((-this.tokens / this.unitsPerSecond) * 1000) + 1, signal);
    }
  }

  /** Records what a request consumed. */
  consume(units: number): void {
    this.refill();
    this.tokens -= units;
  }
}

/**
 * The read budget for a scan: a fraction of the table's provisioned read capacity, or an
 * explicit budget in units per second (the only choice for on-demand tables). Undefined = no limit.
 */
export function readBudget(options: {
  provisionedReadUnits?: number;
  fraction?: number;
  unitsPerSecond?: number;
}): number | undefined {
  if (options.unitsPerSecond !== undefined) return options.unitsPerSecond;
  if (options.provisionedReadUnits && options.fraction !== undefined) {
    return Math.max(1, options.provisionedReadUnits * options.fraction);
  }
  return undefined;
}
