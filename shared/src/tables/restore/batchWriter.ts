import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { HttpRequest } from '@aws-sdk/types';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError, isThrottling } from '../../base/errors/fromAwsError';
import { backoffDelay, type BackoffPolicy, DEFAULT_BACKOFF, withRetry } from '../../base/jobs/backoff';
import { sleep, throwIfAborted } from '../../base/jobs/job';
import { type CapacityLimiter } from '../source/capacityLimiter';
import { type Item, itemToDynamoJson } from '../source/dynamoJson';

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

const PUT_START = Buffer.from('{"PutRequest":{"Item":');
const DELETE_START = Buffer.from('{"DeleteRequest":{"Key":');
const REQUEST_END = Buffer.from('}}');
const COMMA = Buffer.from(',');

/** A write request as the DynamoDB JSON text of BatchWriteItem's wire format. */
function writeRequestJson(start: Buffer, itemJson: Buffer): Buffer {
  return Buffer.concat([start, itemJson, REQUEST_END]);
}

/** An UnprocessedItems entry (parsed by the SDK) as text again, to be sent once more. */
function unprocessedJson(request: WriteRequest): Buffer {
  if (request.PutRequest?.Item)
    return writeRequestJson(PUT_START, Buffer.from(itemToDynamoJson(request.PutRequest.Item)));
  if (request.DeleteRequest?.Key) {
    return writeRequestJson(DELETE_START, Buffer.from(itemToDynamoJson(request.DeleteRequest.Key)));
  }
  throw new ColdkeepError(
    'Unexpected',
    'DynamoDB returned an unprocessed write request that is neither a put nor a delete.',
    {
      hint: 'Run the restore again with {setting:overwrite}; if this keeps happening, please report it.',
    },
  );
}

/**
 * Writes items (puts and deletes) with BatchWriteItem, 25 per request, several requests in flight.
 * UnprocessedItems are sent again with exponential backoff until written or the retries
 * run out, so an item is either written or the error says so; `written` is exact.
 *
 * A request on the wire is never aborted (DynamoDB may have applied it even if the answer is never
 * read): on a failure or a cancel no new request is sent, and `settle()` waits for the ones in
 * flight, so `written` counts every item DynamoDB acknowledged, and only those.
 *
 * Requests are kept as the JSON text they go over the wire as, and each request's body is put
 * together from them: an item read from a backup line (`putJson`) is never parsed, and the SDK
 * does not serialise 25 items' objects per call (together a quarter of a restore's CPU).
 */
export class BatchWriter {
  written = 0;
  private pending: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: BatchWriterOptions,
  ) {}

  async put(item: Item): Promise<void> {
    await this.putJson(Buffer.from(itemToDynamoJson(item)));
  }

  /** Puts an item given as its DynamoDB JSON text (as `lineItemJson` cuts it from a backup line). */
  async putJson(itemJson: Buffer): Promise<void> {
    await this.add(writeRequestJson(PUT_START, itemJson));
  }

  /** Deletes the item with this key (an incremental backup's deleted item). */
  async delete(key: Item): Promise<void> {
    await this.add(writeRequestJson(DELETE_START, Buffer.from(itemToDynamoJson(key))));
  }

  private async add(request: Buffer): Promise<void> {
    this.pending.push(request);
    if (this.pending.length >= BATCH_SIZE) await this.dispatch();
  }

  /** Sends what is buffered and waits for every request; throws the first failure. */
  async flush(): Promise<void> {
    if (this.pending.length) await this.dispatch();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }

  /** Waits until no request is in flight, whatever their outcome (so a failure's counts are final); sends nothing new. */
  async settle(): Promise<void> {
    this.pending = [];
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private async dispatch(): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.inFlight.size >= this.options.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    throwIfAborted(this.options.signal);
    const batch = this.pending;
    this.pending = [];
    const request = this.writeBatch(batch).catch((err: unknown) => {
      this.failure ??= err;
    });
    const tracked = request.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async writeBatch(requests: Buffer[]): Promise<void> {
    const { table, signal } = this.options;
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    let remaining = requests;
    for (let attempt = 0; remaining.length > 0; attempt++) {
      if (attempt >= policy.maxAttempts) {
        throw new ColdkeepError(
          'Throttled',
          `${remaining.length} items stayed unprocessed by ${table} after ${attempt} attempts.`,
          {
            hint: 'The table is out of write capacity: raise it (or switch to on-demand), or restore with a lower {setting:writeUnits}.',
            details: { unprocessed: remaining.length },
          },
        );
      }
      // After a failure elsewhere, what is still unprocessed stays unwritten (and uncounted).
      if (attempt > 0 && this.failure) throw this.failure;
      if (attempt > 0) await sleep(backoffDelay(attempt, policy), signal);
      await this.options.limiter?.acquire(signal);
      const body = this.requestBody(remaining);
      // No abortSignal on the send: a request on the wire is settled, not abandoned (see the class doc).
      const result = await withRetry(() => this.client.send(this.command(body)), {
        signal,
        policy,
        onRetry: (err) => {
          if (isThrottling(err)) this.options.onThrottle?.();
        },
      }).catch((err: unknown) => {
        throw fromAwsError(err, { doing: `write items to ${table}`, table });
      });
      const consumed = (result.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      this.options.limiter?.consume(consumed);
      const unprocessed = (result.UnprocessedItems?.[table] ?? []).map(unprocessedJson);
      const done = remaining.length - unprocessed.length;
      this.written += done;
      this.options.onWritten?.(done);
      if (unprocessed.length) this.options.onThrottle?.();
      remaining = unprocessed;
    }
  }

  /** The body of a BatchWriteItem request for these write requests. */
  private requestBody(requests: readonly Buffer[]): Buffer {
    const parts: Buffer[] = [Buffer.from(`{"RequestItems":{${JSON.stringify(this.options.table)}:[`)];
    requests.forEach((request, k) => {
      if (k > 0) parts.push(COMMA);
      parts.push(request);
    });
    parts.push(Buffer.from(']},"ReturnConsumedCapacity":"TOTAL"}'));
    return Buffer.concat(parts);
  }

  /**
   * A BatchWriteItem command whose body is `body`. The SDK serialises an input with no requests
   * (its operation hooks see the table), and a middleware right after its serialiser puts the
   * prepared body in; the build step then sets Content-Length and the signer signs that body.
   */
  private command(body: Buffer): BatchWriteItemCommand {
    const command = new BatchWriteItemCommand({
      RequestItems: { [this.options.table]: [] },
      ReturnConsumedCapacity: 'TOTAL',
    });
    command.middlewareStack.add(
      (next) => (args) => {
        (args.request as HttpRequest).body = body;
        return next(args);
      },
      { step: 'serialize', priority: 'low', name: 'coldkeepPreparedBody' },
    );
    return command;
  }
}
