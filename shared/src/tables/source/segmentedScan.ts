import { type DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { crc32 } from 'node:zlib';
import type { HttpResponse } from '@aws-sdk/types';
import { readWholeBody, releaseBuffer } from '../../base/aws/responseBody';
import { CORRUPT_RESPONSE, fromAwsError, isThrottling } from '../../base/errors/fromAwsError';
import { type BackoffPolicy, DEFAULT_BACKOFF, withRetry } from '../../base/jobs/backoff';
import { throwIfAborted } from '../../base/jobs/job';
import type { CapacityLimiter } from './capacityLimiter';
import { type Item, itemToDynamoJson } from './dynamoJson';
import { splitScanBody } from './scanBody';

/** A page of a segment's items: objects from `scanSegment`, DynamoDB JSON text from `scanSegmentJson`. */
export interface ScanPage<T = Item> {
  segment: number;
  items: T[];
  /** Read capacity units the page consumed (0 when the store does not say). */
  consumedUnits: number;
}

export interface SegmentScanOptions {
  table: string;
  segment: number;
  totalSegments: number;
  consistentRead?: boolean;
  /** Items per Scan request; DynamoDB's 1 MB page limit applies anyway. */
  pageLimit?: number;
  limiter?: CapacityLimiter;
  backoff?: BackoffPolicy;
  signal?: AbortSignal;
  /** Called each time a throttled request is retried. */
  onThrottle?: () => void;
}

/** Sends one Scan request; resolves to the SDK's output and the page's items in the caller's form. */
type SendScan<T> = (
  command: ScanCommand,
  signal: AbortSignal | undefined,
) => Promise<{ output: ScanCommandOutput; items: T[] }>;

/** Scans one segment of a table, page by page, each item as the SDK's AttributeValue objects. */
export function scanSegment(client: DynamoDBClient, options: SegmentScanOptions): AsyncGenerator<ScanPage<Item>> {
  return scanPages(options, async (command, signal) => {
    const output = await client.send(command, { abortSignal: signal });
    return { output, items: output.Items ?? [] };
  });
}

/**
 * Scans one segment of a table, page by page, each item as its DynamoDB JSON text, on one line,
 * as the response held it: what a backup writes, without the SDK parsing every item into
 * objects that the backup would only print again (most of a backup's CPU, bench/README.md).
 *
 * A page's items are views into its response body, and hold only until the next page is asked
 * for: the body is freed then (a consumer copies the items first, as `SegmentWriter.writePage`
 * does). Left to the garbage collector, ~256 KiB bodies piled up between collections: tens of
 * MB more RSS on Node 24, whose larger young generation collects less often.
 */
export function scanSegmentJson(client: DynamoDBClient, options: SegmentScanOptions): AsyncGenerator<ScanPage<Buffer>> {
  let lastBody: Buffer | undefined;
  return scanPages(options, async (command, signal) => {
    // Sent only once the consumer asked for this page: it is done with the one before.
    if (lastBody) releaseBuffer(lastBody);
    lastBody = undefined;
    let items: Buffer[] | undefined;
    command.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const response = result.response as HttpResponse;
        if (response.statusCode !== 200 || !response.body) return result;
        const announced = response.headers['content-length'];
        const body = await readWholeBody(
          response.body as AsyncIterable<Uint8Array>,
          announced === undefined ? undefined : Number(announced),
        );
        lastBody = body;
        // DynamoDB sends the CRC32 of every body; SDK v3 does not check it, and a backup should.
        const crc = response.headers['x-amz-crc32'];
        if (crc !== undefined && Number(crc) !== crc32(body)) {
          throw Object.assign(
            new Error(`A Scan response of ${options.table} does not match its CRC32: it was damaged on the way.`),
            { name: CORRUPT_RESPONSE },
          );
        }
        const split = splitScanBody(body);
        items = split?.items;
        // The SDK reads the page's other fields (LastEvaluatedKey, ConsumedCapacity) from the rest;
        // a body that would not split goes to it whole, and it says what is wrong with it.
        response.body = split?.rest ?? body;
        return result;
      },
      // Inside the SDK's deserializer (priority "normal"), so this sees the body before it does.
      { step: 'deserialize', priority: 'low', name: 'coldkeepItemsAsJson' },
    );
    const output = await client.send(command, { abortSignal: signal });
    // No body was cut (one of a shape the splitter does not know, or an answer from a test
    // double that never went over HTTP): the SDK parsed the items, so print them.
    items ??= (output.Items ?? []).map((item) => Buffer.from(itemToDynamoJson(item)));
    if (output.Count !== undefined && output.Count !== items.length) {
      throw Object.assign(
        new Error(
          `A Scan page of ${options.table} says it holds ${output.Count} items, but ${items.length} were read.`,
        ),
        { name: CORRUPT_RESPONSE },
      );
    }
    return { output, items };
  });
}

/**
 * Scans one segment page by page. Throttling is retried with exponential backoff and jitter
 * (on top of the SDK's own adaptive retries), other transient faults too.
 */
async function* scanPages<T>(options: SegmentScanOptions, send: SendScan<T>): AsyncGenerator<ScanPage<T>> {
  let startKey: Item | undefined;
  do {
    throwIfAborted(options.signal);
    await options.limiter?.acquire(options.signal);
    const input = {
      TableName: options.table,
      Segment: options.segment,
      TotalSegments: options.totalSegments,
      ConsistentRead: options.consistentRead,
      Limit: options.pageLimit,
      ExclusiveStartKey: startKey,
      ReturnConsumedCapacity: 'TOTAL' as const,
    };
    let answer: { output: ScanCommandOutput; items: T[] } | undefined = await withRetry(
      () => send(new ScanCommand(input), options.signal),
      {
        signal: options.signal,
        policy: options.backoff ?? DEFAULT_BACKOFF,
        onRetry: (err) => {
          if (isThrottling(err)) options.onThrottle?.();
        },
      },
    ).catch((err: unknown) => {
      throw fromAwsError(err, { doing: `scan table ${options.table}`, table: options.table });
    });
    const consumedUnits = answer.output.ConsumedCapacity?.CapacityUnits ?? 0;
    options.limiter?.consume(consumedUnits);
    startKey = answer.output.LastEvaluatedKey;
    let page: ScanPage<T> | undefined = { segment: options.segment, items: answer.items, consumedUnits };
    // eslint-disable-next-line no-useless-assignment -- see below: frees the SDK's output while suspended
    answer = undefined;
    // A suspended generator keeps what its registers last held. Dropping the page as soon as
    // the consumer asks for the next one lets it die young, instead of surviving (and being
    // promoted to the old generation) through the next request.
    yield page;
    // eslint-disable-next-line no-useless-assignment -- frees the page for the garbage collector
    page = undefined;
  } while (startKey);
}

const BYTES_PER_SEGMENT = 64 * 1024 * 1024;
const MAX_SEGMENTS = 1000;

/**
 * Segments for a table of this size: one per 64 MiB, at least 4 once a table is past a few
 * MiB (parallel reads pay off early), at most 1000. DynamoDB's size estimate lags by hours,
 * which is fine for planning.
 */
export function chooseTotalSegments(approximateSizeBytes: number): number {
  const bySize = Math.ceil(approximateSizeBytes / BYTES_PER_SEGMENT);
  const floor = approximateSizeBytes > 8 * 1024 * 1024 ? 4 : 1;
  return Math.min(MAX_SEGMENTS, Math.max(floor, bySize));
}

const BYTES_A_SEGMENT_NEEDS = 1024 * 1024;
const SEGMENTS_ALWAYS_ALLOWED = 16;

/**
 * The most segments a table of this size can use: one per MiB (a Scan page's worth), never
 * fewer than 16 (DynamoDB's size estimate lags by hours, so a young table may look empty).
 * Each segment costs at least one Scan request, a writer and a data file whatever it holds, so
 * 100,000 segments of a 30,000-item table only burn CPU and requests.
 */
export function usefulSegments(approximateSizeBytes: number): number {
  return Math.max(SEGMENTS_ALWAYS_ALLOWED, Math.ceil(approximateSizeBytes / BYTES_A_SEGMENT_NEEDS));
}

/** The segments to scan: the count asked for, reduced to what the table can use (with a note), or chosen from its size. */
export function planSegments(
  requested: number | undefined,
  approximateSizeBytes: number,
): { totalSegments: number; note?: string } {
  if (requested === undefined) return { totalSegments: chooseTotalSegments(approximateSizeBytes) };
  const useful = usefulSegments(approximateSizeBytes);
  if (requested <= useful) return { totalSegments: requested };
  return {
    totalSegments: useful,
    note:
      `${requested.toLocaleString('en-US')} segments asked for, ${useful.toLocaleString('en-US')} used: the table holds about ` +
      `${(approximateSizeBytes / BYTES_A_SEGMENT_NEEDS).toFixed(1)} MiB (DynamoDB's estimate), and a segment under 1 MiB only adds requests.`,
  };
}

/** Bytes of items per Scan page Coldkeep asks for (DynamoDB's own page is 1 MB). */
const TARGET_PAGE_BYTES = 256 * 1024;

/**
 * Items per Scan request, so that a page holds about 256 KiB. A 1 MB page of small items
 * is tens of MB once parsed (the SDK keeps a copy per deserialisation step) and each
 * segment holds one while it writes the previous; quarter-size pages keep a many-segment
 * backup's memory flat at the cost of more round trips, which the parallel segments hide.
 * When the table's item size is not known yet (DescribeTable's figures lag by hours, and
 * emulators report 0), 1,000 items: ~256 KiB of typical small items, and never more than
 * DynamoDB's own 1 MB page.
 */
export function choosePageLimit(approximateItemCount: number, approximateSizeBytes: number): number {
  if (approximateItemCount <= 0 || approximateSizeBytes <= 0) return 1_000;
  const itemBytes = approximateSizeBytes / approximateItemCount;
  return Math.max(100, Math.round(TARGET_PAGE_BYTES / itemBytes));
}
