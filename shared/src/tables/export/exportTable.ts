import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AwsClients } from '../../base/aws/clients';
import { checkBucket } from '../../storage/checkBucket';
import { type StorageOptions } from '../../storage/storageOptions';
import { itemToLine, lineToItem } from '../repository/itemLines';
import { CancelledError, ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { range, runPool } from '../../base/jobs/pool';
import { CapacityLimiter, readBudget } from '../source/capacityLimiter';
import { describeTable } from '../source/describeTable';
import { type Item } from '../source/dynamoJson';
import { planSegments, scanSegment } from '../source/segmentedScan';
import { csvColumns, csvRow, itemToCsvRow } from './csvRows';
import {
  describeTarget,
  type ExportSink,
  type ExportTarget,
  openExportSink,
  parseExportTarget,
} from './exportDestination';
import { itemToJson } from './plainItem';

export type ExportFormat = 'json' | 'csv';

export interface ExportTableInput {
  table: string;
  format: ExportFormat;
  /** s3://bucket/key, or a local file path. */
  to: string;
  segments?: number;
  concurrency?: number;
  consistentRead?: boolean;
  /** Fraction of a provisioned table's read capacity to use (default 0.5). */
  readFraction?: number;
  /** Read-unit budget per second (for on-demand tables). */
  readUnitsPerSecond?: number;
  /** Encryption and retention of an S3 export; exports are not lifecycle-tagged unless asked. */
  storage?: StorageOptions;
  /** Where CSV rows wait while the columns are learnt (default: the OS temp folder). */
  tempDir?: string;
}

export interface ExportProgress {
  phase: 'describe' | 'scan' | 'write';
  table: string;
  items: number;
  estimatedItems: number;
  bytes: number;
}

export interface ExportReport {
  table: string;
  format: ExportFormat;
  destination: ExportTarget;
  /** s3:// URI or the absolute path. */
  location: string;
  region: string;
  itemCount: number;
  bytes: number;
  /** CSV only. */
  columns?: string[];
  segments: number;
  /** Set when fewer segments were scanned than asked for: why. */
  segmentsNote?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

const CONTENT_TYPE: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/**
 * Writes a whole table as one file, JSON (an array of plain-JSON items, one per line) or
 * CSV (a header of every attribute name, then one row per item), to S3 or a local path.
 * Memory stays bounded: JSON streams straight through; CSV rows wait in a temporary file
 * until every column is known, then stream out. On failure or cancel nothing is left that
 * looks like a finished export.
 */
export async function exportTable(
  clients: AwsClients,
  input: ExportTableInput,
  { signal, onProgress }: JobOptions<ExportProgress> = {},
): Promise<ExportReport> {
  const started = new Date();
  throwIfAborted(signal);
  if (input.format !== 'json' && input.format !== 'csv') {
    throw new ColdkeepError('InvalidInput', `Unknown export format "${String(input.format)}".`, {
      hint: 'Use {setting:format=json} or {setting:format=csv}.',
    });
  }
  const target = parseExportTarget(input.to);
  const progress: ExportProgress = { phase: 'describe', table: input.table, items: 0, estimatedItems: 0, bytes: 0 };
  onProgress?.({ ...progress });
  const [schema] = await Promise.all([
    describeTable(clients.dynamodb, input.table, signal),
    target.kind === 's3' ? checkBucket(clients.s3, target.bucket, signal) : Promise.resolve(),
  ]);
  const { totalSegments, note: segmentsNote } = planSegments(input.segments, schema.approximateSizeBytes);
  const budget = readBudget({
    provisionedReadUnits: schema.provisionedThroughput?.readCapacityUnits,
    fraction: input.readFraction ?? 0.5,
    unitsPerSecond: input.readUnitsPerSecond,
  });
  const limiter = budget ? new CapacityLimiter(budget) : undefined;
  const keyAttributes = [...schema.keySchema]
    .sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0))
    .map((k) => k.AttributeName!);

  const sink = openExportSink(clients.s3, target, CONTENT_TYPE[input.format], input.storage ?? { lifecycleTag: null });
  const tempDir =
    input.format === 'csv' ? await mkdtemp(join(input.tempDir ?? tmpdir(), 'coldkeep-export-')) : undefined;
  Object.assign(progress, { phase: 'scan', estimatedItems: schema.approximateItemCount });
  onProgress?.({ ...progress });

  try {
    const scanAll = (onPage: (items: Item[]) => Promise<void>): Promise<void> =>
      runPool(
        range(totalSegments),
        input.concurrency ?? Math.min(totalSegments, 8),
        async (segment, poolSignal) => {
          for await (const page of scanSegment(clients.dynamodb, {
            table: input.table,
            segment,
            totalSegments,
            consistentRead: input.consistentRead,
            limiter,
            signal: poolSignal,
          })) {
            await onPage(page.items);
            progress.items += page.items.length;
            progress.bytes = sink.bytes;
            onProgress?.({ ...progress });
          }
        },
        signal,
      );

    let columns: string[] | undefined;
    if (input.format === 'json') {
      let first = true;
      await sink.write('[\n');
      await scanAll(async (items) => {
        if (items.length === 0) return;
        const text = items.map(itemToJson).join(',\n');
        await sink.write(first ? text : `,\n${text}`);
        first = false;
      });
      await sink.write(first ? ']\n' : '\n]\n');
    } else {
      columns = await writeCsv(sink, tempDir!, keyAttributes, scanAll, signal, () => {
        progress.phase = 'write';
        progress.bytes = sink.bytes;
        onProgress?.({ ...progress });
      });
    }
    throwIfAborted(signal);
    await sink.finish();
    progress.bytes = sink.bytes;
    onProgress?.({ ...progress });
    const finished = new Date();
    return {
      table: input.table,
      format: input.format,
      destination: target,
      location: describeTarget(target),
      region: clients.region,
      itemCount: progress.items,
      bytes: sink.bytes,
      ...(columns ? { columns } : {}),
      segments: totalSegments,
      ...(segmentsNote ? { segmentsNote } : {}),
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
    };
  } catch (err) {
    await sink.abort();
    if (isCancelled(err)) {
      throw new CancelledError(
        `Export of ${input.table} cancelled; nothing was written to ${describeTarget(target)}.`,
        {
          cause: err,
        },
      );
    }
    throw err;
  } finally {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

/** Spools items as lines while learning the columns, then writes header and rows. */
async function writeCsv(
  sink: ExportSink,
  tempDir: string,
  keyAttributes: string[],
  scanAll: (onPage: (items: Item[]) => Promise<void>) => Promise<void>,
  signal: AbortSignal | undefined,
  onWritePhase: () => void,
): Promise<string[]> {
  const spoolPath = join(tempDir, 'items.jsonl');
  const spool = createWriteStream(spoolPath);
  const failed = new Promise<never>((_, reject) => spool.once('error', reject));
  failed.catch(() => undefined);
  const seen = new Set<string>();
  await scanAll(async (items) => {
    for (const item of items) for (const name of Object.keys(item)) seen.add(name);
    if (items.length && !spool.write(items.map(itemToLine).join(''))) {
      await Promise.race([once(spool, 'drain'), failed]);
    }
  });
  spool.end();
  await Promise.race([once(spool, 'finish'), failed]);

  const columns = csvColumns(keyAttributes, seen);
  onWritePhase();
  await sink.write(csvRow(columns));
  const lines = createInterface({ input: createReadStream(spoolPath), crlfDelay: Infinity });
  let n = 0;
  let batch = '';
  for await (const line of lines) {
    n++;
    if (!line) continue;
    batch += itemToCsvRow(lineToItem(line, `${spoolPath}:${n}`), columns);
    if (batch.length >= 256 * 1024) {
      throwIfAborted(signal);
      await sink.write(batch);
      batch = '';
    }
  }
  if (batch) await sink.write(batch);
  return columns;
}
