import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { throwIfAborted } from '../../base/jobs/job';
import { range, runPool } from '../../base/jobs/pool';
import { CapacityLimiter, readBudget } from '../source/capacityLimiter';
import { choosePageLimit, planSegments, type ScanPage, scanSegmentJson } from '../source/segmentedScan';
import { dataFileKey } from '../repository/layout';
import type { ScanBackupRun, TableBackupRun } from './backupRun';
import { SegmentWriter } from './segmentWriter';

const DEFAULT_READ_FRACTION = 0.5;
const DEFAULT_ROLLOVER = 256 * 1024 * 1024;

/** The scan's set-up: the segments (checked, or chosen from the table's size), the read budget, a writer per segment. */
export function planScan(run: TableBackupRun): ScanBackupRun {
  const { input, schema, progress, location, clients } = run;
  if (
    input.segments !== undefined &&
    (!Number.isInteger(input.segments) || input.segments < 1 || input.segments > 1_000_000)
  ) {
    throw new ColdkeepError(
      'InvalidInput',
      `Segments must be a whole number from 1 to 1000000, got ${input.segments}.`,
      {
        hint: 'Leave {setting:segments} out to let Coldkeep choose from the table size.',
      },
    );
  }
  const { totalSegments, note: segmentsNote } = planSegments(input.segments, schema.approximateSizeBytes);
  const budget = readBudget({
    provisionedReadUnits: schema.provisionedThroughput?.readCapacityUnits,
    fraction: input.readFraction ?? DEFAULT_READ_FRACTION,
    unitsPerSecond: input.readUnitsPerSecond,
  });
  const limiter = budget ? new CapacityLimiter(budget) : undefined;
  Object.assign(progress, {
    phase: 'scan',
    engine: 'scan',
    backupId: location.backupId,
    estimatedItems: schema.approximateItemCount,
    totalSegments,
    segments: range(totalSegments).map((segment) => ({ segment, items: 0, done: false })),
  });
  run.emit();
  const writers = range(totalSegments).map(
    (segment) =>
      new SegmentWriter({
        s3: clients.s3,
        bucket: input.bucket,
        segment,
        keyFor: (part) => dataFileKey(location, segment, part),
        storage: input,
        rolloverBytes: input.rolloverBytes ?? DEFAULT_ROLLOVER,
        partSize: input.partSize,
      }),
  );
  return {
    ...run,
    totalSegments,
    segmentsNote,
    limiter,
    writers,
  };
}

/**
 * Phase "scan": the segments scanned concurrently, each page's items written as lines into its
 * segment's writer (gzip, multipart upload, a new file at the rollover size).
 */
export async function scanSegments(run: ScanBackupRun): Promise<void> {
  const { input, schema, progress, clients, totalSegments } = run;
  await runPool(
    range(totalSegments),
    input.concurrency ?? Math.min(totalSegments, 8),
    async (segment, poolSignal) => {
      const writer = run.writers[segment]!;
      const segmentProgress = progress.segments[segment]!;
      const pages = scanSegmentJson(clients.dynamodb, {
        table: input.table,
        segment,
        totalSegments,
        consistentRead: input.consistentRead,
        pageLimit: input.pageLimit ?? choosePageLimit(schema.approximateItemCount, schema.approximateSizeBytes),
        limiter: run.limiter,
        signal: poolSignal,
        onThrottle: () => progress.throttledRequests++,
      });
      await writePages(pages, writer, poolSignal, (items, consumedUnits, bytes) => {
        progress.uncompressedBytes += bytes;
        segmentProgress.items += items;
        progress.items += items;
        progress.consumedReadUnits += consumedUnits;
        run.emit();
      });
      await writer.finish();
      segmentProgress.done = true;
      run.emit();
    },
    run.signal,
  );
  throwIfAborted(run.signal);
}

/**
 * Writes a segment's pages. While one page's lines wait for the upload the next page is already
 * being read, and nothing here keeps the written page: with `writePage` turning items into lines
 * at once and `scanSegment` dropping each page when asked for the next, pages die young instead
 * of piling up in V8's old generation (a 1M-item backup's heap was mostly such pages).
 */
async function writePages(
  pages: AsyncGenerator<ScanPage<Buffer>>,
  writer: SegmentWriter,
  signal: AbortSignal | undefined,
  onPage: (items: number, consumedUnits: number, bytes: number) => void,
): Promise<void> {
  let pending = pages.next();
  for (;;) {
    // A page read before a cancel is not written after it.
    throwIfAborted(signal);
    const step = await takePage(pending, pages, writer, signal);
    if (!step) return;
    pending = step.next;
    onPage(step.items, step.consumedUnits, await step.written);
  }
}

/** Starts writing the page `pending` brings and asks for the next; keeps no reference to the page. */
async function takePage(
  pending: Promise<IteratorResult<ScanPage<Buffer>>>,
  pages: AsyncGenerator<ScanPage<Buffer>>,
  writer: SegmentWriter,
  signal: AbortSignal | undefined,
): Promise<
  | { written: Promise<number>; next: Promise<IteratorResult<ScanPage<Buffer>>>; items: number; consumedUnits: number }
  | undefined
> {
  const result = await pending;
  if (result.done) return undefined;
  throwIfAborted(signal);
  const { items, consumedUnits } = result.value;
  const written = writer.writePage(items);
  const next = pages.next();
  // Observed when awaited; until then a failed read must not count as unhandled.
  next.catch(() => undefined);
  return { written, next, items: items.length, consumedUnits };
}
