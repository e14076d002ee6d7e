import { isRetryable } from '../errors/fromAwsError';
import { sleep } from './job';

export interface BackoffPolicy {
  /** First delay, in ms. */
  baseMs: number;
  /** Cap for one delay, in ms. */
  maxMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 50, maxMs: 20_000, maxAttempts: 12 };

/** "Full jitter" exponential backoff: a random delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export interface RetryOptions {
  signal?: AbortSignal;
  policy?: BackoffPolicy;
  /** Which errors deserve another try; throttling, 5xx and dropped connections by default. */
  retryable?: (err: unknown) => boolean;
  /** Told of every retry, e.g. to count throttles in a report. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `fn` until it succeeds, retrying transient failures with exponential backoff and jitter. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_BACKOFF;
  const retryable = options.retryable ?? isRetryable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal?.aborted || !retryable(err) || attempt + 1 >= policy.maxAttempts) throw err;
      const delay = backoffDelay(attempt, policy);
      options.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, options.signal);
    }
  }
}
