import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsClients } from '../aws';
import { type ChangeRecord, lineItemJson, lineToChange } from '../backup';
import { ColdkeepError, withAftermath } from '../errors';
import { type JobOptions, runPool, throwIfAborted } from '../jobs';
import { CapacityLimiter } from '../tables';
import { versionDrift, versionDriftText } from './backedUpVersions';
import { BatchWriter } from './batchWriter';
import { type ImportFacts, importRestore } from './importRestore';
import { type PlannedFile, planRestore, regionNote, type RestorePlan, type RestoreSource } from './restorePlan';
import { applyTtl, assertSameKeys, countItems, createTableFromSchema, inspectTarget } from './targetTable';
import { type ThawOptions, thawArchived } from './thawArchived';
import { downloadVerified, isBlankLine, readChanges, readLines } from './verifiedDownload';

export interface RestoreTableInput {
  source: RestoreSource;
  /** Table to write into; the backed-up table's name by default. */
  target?: string;
  /** Create the target from the saved schema when it does not exist (default true). */
  createTable?: boolean;
  /** Allow writing into a table that already holds items (items with the same key are replaced). */
  overwrite?: boolean;
  /** Download and verify every file, count its items, write nothing. */
  dryRun?: boolean;
  /** Data files restored at once (default 4). */
  fileConcurrency?: number;
  /** BatchWriteItem requests in flight per file (default 4). */
  writeConcurrency?: number;
  /** Write-unit budget per second; by default 80% of a provisioned target's write capacity, unlimited on demand. */
  writeUnitsPerSecond?: number;
  thaw?: ThawOptions;
  /** Count the target's items afterwards (default: when the target was empty before). */
  verifyCount?: boolean;
  /**
   * write (default): Coldkeep verifies every file and writes it with BatchWriteItem, into a new
   * or existing table, applying incremental chains. import: DynamoDB's ImportTable loads a full
   * backup into a NEW table without using write capacity.
   */
  engine?: RestoreEngine;
  /** import: how often to poll DescribeImport (default 15 s). */
  pollIntervalMs?: number;
}

export type RestoreEngine = 'write' | 'import';

export type FileOutcome = 'written' | 'partial' | 'not-written' | 'damaged' | 'verified';

export interface FileReport {
  key: string;
  /** Which step of the plan (0: the full backup; 1…: incrementals, in order). */
  step: number;
  outcome: FileOutcome;
  /** Records written: items put, and for an incremental backup items deleted too. */
  items: number;
}

export interface StepReport {
  kind: 'full' | 'incremental';
  uri: string;
  backupId?: string;
  /** Items put (new images) and deleted by this step. */
  puts: number;
  deletes: number;
}

export interface RestoreProgress {
  phase: 'plan' | 'thaw' | 'restore' | 'import' | 'count';
  /** import: DynamoDB's status of the import. */
  importStatus?: string;
  target: string;
  itemsWritten: number;
  itemsExpected?: number;
  filesDone: number;
  filesTotal: number;
  waitingFor?: number;
}

export interface RestoreReport {
  source: string;
  kind: RestorePlan['kind'];
  engine: RestoreEngine;
  backupId?: string;
  target: string;
  dryRun: boolean;
  createdTable: boolean;
  itemsExpected?: number;
  itemsWritten: number;
  /** Of the records written, the deletes (incremental backups only). */
  itemsDeleted: number;
  itemsVerified: number;
  /** Exact count of the target after the load, when it was checked. */
  countedItems?: number;
  /** The count the target had to end with, when it is known (a full backup, or a chain on an exported base). */
  expectedCount?: number;
  /** The full backup and each incremental applied, in order. */
  steps: StepReport[];
  files: FileReport[];
  /** import: what DynamoDB's import reported. */
  import?: ImportFacts;
  warnings: string[];
  durationMs: number;
}

/**
 * Restores a backup (or a DynamoDB native export) into a table: plan → thaw archived
 * files → create the table if needed → per file: download, verify its checksum, then
 * write its items → TTL → count. A failure says exactly which files were written.
 */
export async function restoreTable(
  clients: AwsClients,
  input: RestoreTableInput,
  { signal, onProgress }: JobOptions<RestoreProgress> = {},
): Promise<RestoreReport> {
  const startedAt = Date.now();
  const { dynamodb, s3 } = clients;
  const plan = await planRestore(s3, input.source, signal);
  if (input.engine === 'import') return importRestore(clients, plan, input, { signal, onProgress });
  const target = input.target ?? plan.sourceTable;
  if (!target) {
    throw new ColdkeepError('InvalidInput', `The backup at ${plan.uri} does not name its table.`, {
      hint: 'Give the table to restore into ({setting:target}).',
    });
  }
  const progress: RestoreProgress = {
    phase: 'plan',
    target,
    itemsWritten: 0,
    filesDone: 0,
    filesTotal: plan.files.length,
    ...(plan.itemCount !== undefined ? { itemsExpected: plan.itemCount } : {}),
  };
  const emit = (): void => onProgress?.({ ...progress });
  emit();

  const files: FileReport[] = plan.steps.flatMap((step, i) =>
    step.files.map((f) => ({ key: f.key, step: i, outcome: 'not-written' as FileOutcome, items: 0 })),
  );
  const steps: StepReport[] = plan.steps.map((step) => ({
    kind: step.kind,
    uri: step.uri,
    ...(step.backupId ? { backupId: step.backupId } : {}),
    puts: 0,
    deletes: 0,
  }));
  const firstFileOf = plan.steps.map((_, i) => plan.steps.slice(0, i).reduce((n, s) => n + s.files.length, 0));
  // Net change in the item count from incremental steps with old images (exact chain count).
  let countDelta = 0;
  const warnings: string[] = [];
  const fromElsewhere = regionNote(plan, clients.region);
  if (fromElsewhere) warnings.push(fromElsewhere);
  let createdTable = false;
  // Files are read at the versions the backup recorded; say so where the current one differs.
  for (const drift of await versionDrift(s3, plan.bucket, plan.files, signal))
    warnings.push(versionDriftText(plan.bucket, drift));

  const state = await inspectTarget(dynamodb, target, signal);
  if (!input.dryRun) {
    if (state.exists) {
      if (plan.schema) assertSameKeys(target, state.keySchema, plan.schema);
      if (!state.empty && !input.overwrite) {
        throw new ColdkeepError('TableExists', `Table "${target}" already holds items; nothing was written.`, {
          hint: 'Restore into a new table ({setting:target=NEW_NAME}), or turn on {setting:overwrite} to replace items with the same keys.',
        });
      }
    } else if (input.createTable === false || !plan.schema) {
      throw new ColdkeepError('NoSuchTable', `Table "${target}" does not exist; nothing was written.`, {
        hint: plan.schema
          ? 'Leave out {setting:noCreateTable} to create it from the saved schema.'
          : 'A DynamoDB export carries no schema: create the table with the same keys first, then restore into it.',
      });
    }
  }

  progress.phase = 'thaw';
  emit();
  await thawArchived(
    s3,
    plan.bucket,
    plan.files.map((f) => f.key),
    input.thaw ?? {},
    signal,
    (pending) => {
      progress.waitingFor = pending.length;
      emit();
    },
  );
  delete progress.waitingFor;

  if (!input.dryRun && !state.exists && plan.schema) {
    await createTableFromSchema(dynamodb, plan.schema, target, signal);
    createdTable = true;
  }

  const budget = input.writeUnitsPerSecond ?? (state.writeCapacityUnits ? state.writeCapacityUnits * 0.8 : undefined);
  const limiter = budget ? new CapacityLimiter(budget) : undefined;
  const tempDir = await mkdtemp(join(tmpdir(), 'coldkeep-restore-'));
  progress.phase = 'restore';
  emit();
  let itemsVerified = 0;
  try {
    // Steps strictly in order (a change must land after the state it changes); files of one step
    // in parallel (an incremental export holds each key once, so its records never race).
    for (const [stepIndex, step] of plan.steps.entries()) {
      let stepVerified = 0;
      await runPool(
        step.files.map((file, j) => ({
          file,
          index: firstFileOf[stepIndex]! + j,
          report: files[firstFileOf[stepIndex]! + j]!,
        })),
        input.fileConcurrency ?? 4,
        async ({ file, index, report }, poolSignal) => {
          const path = join(tempDir, `${index}.json.gz`);
          try {
            await downloadVerified(s3, plan.bucket, file, path, poolSignal);
          } catch (err) {
            if ((err as { code?: string }).code === 'ChecksumMismatch') report.outcome = 'damaged';
            throw err;
          }
          const counts = await restoreFile(input, dynamodb, target, file, path, report, limiter, poolSignal, (n) => {
            progress.itemsWritten += n;
            emit();
          });
          stepVerified += counts.records;
          steps[stepIndex]!.puts += counts.puts;
          steps[stepIndex]!.deletes += counts.deletes;
          if (step.kind === 'incremental' && step.oldImages) countDelta += counts.delta;
          await rm(path, { force: true });
          progress.filesDone++;
          emit();
        },
        signal,
      );
      throwIfAborted(signal);
      if (step.itemCount !== undefined && stepVerified !== step.itemCount) {
        throw new ColdkeepError(
          'CountMismatch',
          `The files of ${step.uri} hold ${stepVerified} records, its manifest says ${step.itemCount}.`,
          { hint: 'The backup is inconsistent; restore from another one.', details: { files } },
        );
      }
      itemsVerified += stepVerified;
    }
  } catch (err) {
    throw failure(err, target, files, createdTable);
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
  throwIfAborted(signal);

  const itemsWritten = files.reduce((n, f) => n + (input.dryRun ? 0 : f.items), 0);
  const itemsDeleted = input.dryRun ? 0 : steps.reduce((n, s) => n + s.deletes, 0);
  const baseIsFull = plan.steps[0]?.kind === 'full';
  // What the target must hold when it was empty: a full backup's items, plus a chain's exact delta.
  const expectedCount =
    input.dryRun || !baseIsFull || !(plan.steps.length === 1 || plan.exactChainCount)
      ? undefined
      : steps[0]!.puts + countDelta;

  let countedItems: number | undefined;
  if (!input.dryRun) {
    if (plan.schema && createdTable) {
      await applyTtl(dynamodb, plan.schema, target).catch((err: unknown) =>
        warnings.push(`TTL on ${plan.schema?.ttl?.attributeName} could not be re-applied: ${(err as Error).message}`),
      );
    }
    if (input.verifyCount ?? state.empty) {
      progress.phase = 'count';
      emit();
      countedItems = await countItems(
        dynamodb,
        target,
        Math.max(1, Math.min(16, Math.ceil(itemsWritten / 250_000))),
        signal,
      );
      if (expectedCount !== undefined && countedItems !== expectedCount) {
        throw new ColdkeepError(
          'CountMismatch',
          `Table "${target}" holds ${countedItems} items after the restore, but it should hold ${expectedCount}.`,
          {
            hint: 'Something else wrote to or deleted from the table during the restore, or the backup holds duplicate keys.',
            details: { files, countedItems, expectedCount, itemsWritten },
          },
        );
      }
    }
  }

  return {
    source: plan.uri,
    kind: plan.kind,
    engine: 'write',
    ...(plan.backupId ? { backupId: plan.backupId } : {}),
    target,
    dryRun: input.dryRun ?? false,
    createdTable,
    ...(plan.itemCount !== undefined ? { itemsExpected: plan.itemCount } : {}),
    itemsWritten,
    itemsDeleted,
    itemsVerified,
    ...(countedItems !== undefined ? { countedItems } : {}),
    ...(expectedCount !== undefined ? { expectedCount } : {}),
    steps,
    files,
    warnings,
    durationMs: Date.now() - startedAt,
  };
}

interface FileCounts {
  records: number;
  puts: number;
  deletes: number;
  /** Items that did not exist before and now do, minus items that did and now do not. */
  delta: number;
}

async function restoreFile(
  input: RestoreTableInput,
  dynamodb: AwsClients['dynamodb'],
  target: string,
  file: PlannedFile,
  path: string,
  report: FileReport,
  limiter: CapacityLimiter | undefined,
  signal: AbortSignal,
  onWritten: (count: number) => void,
): Promise<FileCounts> {
  const counts: FileCounts = { records: 0, puts: 0, deletes: 0, delta: 0 };
  // A full backup's line, put as the text it is, counts as a put of unknown history.
  const tally = (change: ChangeRecord | { type: 'put'; existedBefore?: undefined }): void => {
    counts.records++;
    if (change.type === 'put') {
      counts.puts++;
      if (change.existedBefore === false) counts.delta++;
    } else {
      counts.deletes++;
      if (change.existedBefore) counts.delta--;
    }
  };
  if (input.dryRun) {
    for await (const change of readChanges(path, file.key)) tally(change);
    report.outcome = 'verified';
    report.items = counts.records;
  } else {
    const writer = new BatchWriter(dynamodb, {
      table: target,
      maxInFlight: input.writeConcurrency ?? 4,
      limiter,
      signal,
      onWritten: (n) => {
        report.items += n;
        onWritten(n);
      },
    });
    report.outcome = 'partial';
    try {
      let n = 0;
      for await (const line of readLines(path)) {
        n++;
        const itemJson = lineItemJson(line);
        if (itemJson) {
          tally({ type: 'put' });
          await writer.putJson(itemJson);
          continue;
        }
        if (isBlankLine(line)) continue;
        const change = lineToChange(line.toString('utf8'), `${file.key}:${n}`);
        tally(change);
        if (change.type === 'put') await writer.put(change.item);
        else await writer.delete(change.key);
      }
      await writer.flush();
    } finally {
      if (report.items === 0) report.outcome = 'not-written';
    }
    report.outcome = 'written';
  }
  if (file.items !== undefined && counts.records !== file.items) {
    throw new ColdkeepError(
      'CountMismatch',
      `${file.key} holds ${counts.records} records, its manifest says ${file.items}.`,
      {
        hint: 'The backup is inconsistent; restore from another one.',
      },
    );
  }
  return counts;
}

/** The error of a failed restore, saying exactly what was and was not written. */
function failure(cause: unknown, target: string, files: FileReport[], createdTable: boolean): ColdkeepError {
  const written = files.filter((f) => f.outcome === 'written');
  const partial = files.filter((f) => f.outcome === 'partial');
  const itemsWritten = files.reduce((n, f) => n + f.items, 0);
  const details = { target, createdTable, itemsWritten, files };
  const summary =
    `${itemsWritten} items were written to "${target}" from ${written.length} whole file(s)` +
    (partial.length ? ` and ${partial.length} partly written file(s) (${partial.map((f) => f.key).join(', ')})` : '') +
    `; ${files.length - written.length - partial.length} file(s) were not written.`;
  return withAftermath(cause, {
    job: `Restore into ${target}`,
    summary,
    details,
    fallbackCode: 'RestoreFailed',
    fallbackHint:
      'Fix the cause and run the restore again with {setting:overwrite}: items with the same key are simply replaced.',
  });
}
