import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { ColdkeepError, fromAwsError, isThrottling } from '../errors';
import { backoffDelay, type BackoffPolicy, DEFAULT_BACKOFF, sleep, withRetry } from '../jobs';
import type { CapacityLimiter, Item } from '../tables';

export interface BatchWriterOptions {
  table: string;
  /** BatchWriteItem requests in flight at once. */
  maxInFlight: number;
  limiter?: CapacityLimiter;
  backoff?: BackoffPolicy;
  signal?: AbortSignal;
  onThrottle?: () => void;
  /** Told how many items each request got written. */
  onWritten?: (count: number) => void;
}

const BATCH_SIZE = 25;

/**
 * Writes items (puts and deletes) with BatchWriteItem, 25 per request, several requests in flight.
 * UnprocessedItems are sent again with exponential backoff until written or the retries
 * run out, so an item is either written or the error says so; `written` is exact.
 */
export class BatchWriter {
  written = 0;
  private pending: WriteRequest[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: BatchWriterOptions,
  ) {}

  async put(item: Item): Promise<void> {
    await this.add({ PutRequest: { Item: item } });
  }

  /** Deletes the item with this key (an incremental backup's deleted item). */
  async delete(key: Item): Promise<void> {
    await this.add({ DeleteRequest: { Key: key } });
  }

  private async add(request: WriteRequest): Promise<void> {
    this.pending.push(request);
    if (this.pending.length >= BATCH_SIZE) await this.dispatch();
  }

  /** Sends what is buffered and waits for every request; throws the first failure. */
  async flush(): Promise<void> {
    if (this.pending.length) await this.dispatch();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }

  private async dispatch(): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.inFlight.size >= this.options.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const batch = this.pending;
    this.pending = [];
    const request = this.writeBatch(batch).catch((err: unknown) => {
      this.failure ??= err;
    });
    const tracked = request.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async writeBatch(requests: WriteRequest[]): Promise<void> {
    const { table, signal } = this.options;
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    let remaining = requests;
    for (let attempt = 0; remaining.length > 0; attempt++) {
      if (attempt >= policy.maxAttempts) {
        throw new ColdkeepError(
          'Throttled',
          `${remaining.length} items stayed unprocessed by ${table} after ${attempt} attempts.`,
          {
            hint: 'The table is out of write capacity: raise it (or switch to on-demand), or restore with a lower --write-units.',
            details: { unprocessed: remaining.length },
          },
        );
      }
      if (attempt > 0) await sleep(backoffDelay(attempt, policy), signal);
      await this.options.limiter?.acquire(signal);
      const result = await withRetry(
        () =>
          this.client.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: remaining }, ReturnConsumedCapacity: 'TOTAL' }),
            { abortSignal: signal },
          ),
        {
          signal,
          policy,
          onRetry: (err) => {
            if (isThrottling(err)) this.options.onThrottle?.();
          },
        },
      ).catch((err: unknown) => {
        throw fromAwsError(err, { doing: `write items to ${table}`, table });
      });
      const consumed = (result.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      this.options.limiter?.consume(consumed);
      const unprocessed = result.UnprocessedItems?.[table] ?? [];
      const done = remaining.length - unprocessed.length;
      this.written += done;
      this.options.onWritten?.(done);
      if (unprocessed.length) this.options.onThrottle?.();
      remaining = unprocessed;
    }
  }
}
