import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsClients } from '../../base/aws/clients';
import { type ChangeRecord, lineItemJson, lineToChange } from '../repository/itemLines';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import { CapacityLimiter } from '../source/capacityLimiter';
import { versionDrift, versionDriftText } from '../repository/backedUpVersions';
import { BatchWriter } from './batchWriter';
import { importRestore } from './importRestore';
import { defaultJournalDir, RestoreJournal, type RestoreJournalData } from './restoreJournal';
import { type PlannedFile, planRestore, regionNote, type RestorePlan } from './restorePlan';
import type { FileReport, RestoreProgress, RestoreReport, RestoreTableInput, StepReport } from './restoreReport';
import { applyTtl, assertSameKeys, countItems, createTableFromSchema, inspectTarget } from './targetTable';
import { thawArchived } from '../../storage/thawArchived';
import { downloadVerified, isBlankLine, readChanges, readLines } from '../repository/verifiedDownload';
import {
  assertFileCount,
  chooseStrategy,
  DEFAULT_STAGING_RESERVE_BYTES,
  type FileToVerify,
  stagedPath,
  type VerifyFacts,
  verifyFiles,
  type VerifyStrategy,
} from './verifyFirst';

/** What one restore run knows as it goes; each phase below reads and updates it. */
interface RestoreRun {
  input: RestoreTableInput;
  clients: AwsClients;
  plan: RestorePlan;
  target: string;
  progress: RestoreProgress;
  emit: () => void;
  files: FileReport[];
  steps: StepReport[];
  /** Entry i of the plan's files: its index and step. */
  entries: (FileToVerify & { step: number })[];
  /** Records counted per step (verified, or written by an earlier run). */
  stepRecords: number[];
  /** Net change in the item count from incremental steps with old images (exact chain count). */
  countDelta: number;
  itemsVerified: number;
  verify: VerifyFacts;
  warnings: string[];
  createdTable: boolean;
  journal?: RestoreJournal;
  earlier?: RestoreJournalData;
  /** Where the run was when it stopped: before verify ends nothing can have been written. */
  stage: 'verify' | 'write';
}

/**
 * Restores a backup (or a DynamoDB native export) into a table, in phases: plan → check the
 * target → thaw archived files → verify (by default every file is downloaded and proven, checksum
 * and record count, before anything is written) → create the table → write, step by step, each
 * file from its verified copy → TTL → count. A failure says exactly what DynamoDB acknowledged,
 * file by file, after every request in flight has been answered; `resume` continues a restore
 * that stopped, from its journal.
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

  const entries = plan.steps.flatMap((step, i) => step.files.map((file) => ({ file, step: i })));
  const run: RestoreRun = {
    input,
    clients,
    plan,
    target,
    progress,
    emit,
    files: entries.map(({ file, step }) => ({ key: file.key, step, outcome: 'not-written', items: 0 })),
    steps: plan.steps.map((step) => ({
      kind: step.kind,
      uri: step.uri,
      ...(step.backupId ? { backupId: step.backupId } : {}),
      puts: 0,
      deletes: 0,
    })),
    entries: entries.map((e, index) => ({ ...e, index })),
    stepRecords: plan.steps.map(() => 0),
    countDelta: 0,
    itemsVerified: 0,
    verify: {
      strategy: input.verify === 'per-file' ? 'per-file' : 'staged',
      files: 0,
      bytes: 0,
      records: 0,
      stagingDir: '',
      bytesDownloaded: 0,
    },
    warnings: [],
    createdTable: false,
    stage: 'verify',
  };
  const fromElsewhere = regionNote(plan, clients.region);
  if (fromElsewhere) run.warnings.push(fromElsewhere);
  // Files are read at the versions the backup recorded; say so where the current one differs.
  for (const drift of await versionDrift(s3, plan.bucket, plan.files, signal))
    run.warnings.push(versionDriftText(plan.bucket, drift));

  const state = await checkTarget(run);

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

  const budget = input.writeUnitsPerSecond ?? (state.writeCapacityUnits ? state.writeCapacityUnits * 0.8 : undefined);
  const limiter = budget ? new CapacityLimiter(budget) : undefined;
  const stagingDir = await mkdtemp(join(input.stagingDir ?? tmpdir(), 'coldkeep-restore-'));
  run.verify.stagingDir = stagingDir;
  try {
    if (input.verify !== 'per-file') await verifyAll(run, stagingDir, signal);
    if (!input.dryRun) {
      run.stage = 'write';
      await run.journal?.begin(run.earlier);
      if (!state.exists && plan.schema) {
        await createTableFromSchema(dynamodb, plan.schema, target, signal);
        run.createdTable = true;
        await run.journal?.markCreatedTable();
      }
    }
    if (!input.dryRun || input.verify === 'per-file') await writeAll(run, stagingDir, limiter, signal);
  } catch (err) {
    throw failure(err, run);
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
  throwIfAborted(signal);

  const itemsWritten = input.dryRun ? 0 : run.files.reduce((n, f) => n + (f.outcome === 'written' ? f.items : 0), 0);
  const itemsDeleted = input.dryRun
    ? 0
    : run.steps.reduce((n, s) => n + s.deletes, 0) - earlierTotals(run.earlier, 'deletes');
  const baseIsFull = plan.steps[0]?.kind === 'full';
  // What the target must hold when it was empty: a full backup's items, plus a chain's exact delta.
  const expectedCount =
    input.dryRun || !baseIsFull || !(plan.steps.length === 1 || plan.exactChainCount)
      ? undefined
      : run.steps[0]!.puts + run.countDelta;

  let countedItems: number | undefined;
  if (!input.dryRun) {
    if (plan.schema && (run.createdTable || run.earlier?.createdTable)) {
      await applyTtl(dynamodb, plan.schema, target).catch((err: unknown) =>
        run.warnings.push(
          `TTL on ${plan.schema?.ttl?.attributeName} could not be re-applied: ${(err as Error).message}`,
        ),
      );
    }
    if (input.verifyCount ?? run.earlier?.targetWasEmpty ?? state.empty) {
      progress.phase = 'count';
      emit();
      const total = itemsWritten + earlierTotals(run.earlier, 'records');
      countedItems = await countItems(dynamodb, target, Math.max(1, Math.min(16, Math.ceil(total / 250_000))), signal);
      if (expectedCount !== undefined && countedItems !== expectedCount) {
        throw new ColdkeepError(
          'CountMismatch',
          `Table "${target}" holds ${countedItems} items after the restore, but it should hold ${expectedCount}.`,
          {
            hint: 'Something else wrote to or deleted from the table during the restore, or the backup holds duplicate keys.',
            details: { files: run.files, countedItems, expectedCount, itemsWritten },
          },
        );
      }
    }
    await run.journal?.remove();
  }

  const resumedFiles = run.files.filter((f) => f.outcome === 'written-earlier');
  return {
    source: plan.uri,
    kind: plan.kind,
    engine: 'write',
    ...(plan.backupId ? { backupId: plan.backupId } : {}),
    target,
    dryRun: input.dryRun ?? false,
    createdTable: run.createdTable || (run.earlier?.createdTable ?? false),
    ...(plan.itemCount !== undefined ? { itemsExpected: plan.itemCount } : {}),
    itemsWritten,
    itemsDeleted,
    itemsVerified: run.itemsVerified,
    ...(countedItems !== undefined ? { countedItems } : {}),
    ...(expectedCount !== undefined ? { expectedCount } : {}),
    steps: run.steps,
    files: run.files,
    verify: run.verify,
    ...(run.earlier && run.journal
      ? {
          resumed: {
            files: resumedFiles.length,
            items: resumedFiles.reduce((n, f) => n + f.items, 0),
            journal: run.journal.path,
          },
        }
      : {}),
    warnings: run.warnings,
    durationMs: Date.now() - startedAt,
  };
}

function earlierTotals(earlier: RestoreJournalData | undefined, field: 'records' | 'deletes'): number {
  return Object.values(earlier?.files ?? {}).reduce((n, f) => n + f[field], 0);
}

/**
 * Phase "check the target": refuses what the real run must not do (a non-empty target without
 * --overwrite, a missing one without a schema), finds the journal of an interrupted run when
 * resuming, and for a dry run turns those refusals into warnings.
 */
async function checkTarget(run: RestoreRun): Promise<Awaited<ReturnType<typeof inspectTarget>>> {
  const { input, plan, target, clients } = run;
  const state = await inspectTarget(clients.dynamodb, target);
  if (!input.dryRun) {
    run.journal = RestoreJournal.for(input.journalDir ?? defaultJournalDir(), plan.uri, target, () => ({
      version: 1,
      source: plan.uri,
      ...(plan.backupId ? { backupId: plan.backupId } : {}),
      target,
      startedAt: new Date().toISOString(),
      targetWasEmpty: state.empty,
      createdTable: false,
      files: {},
    }));
  }
  const earlier = await run.journal?.read();
  if (input.resume && earlier) {
    if (state.exists) run.earlier = earlier;
    else run.warnings.push(`Table "${target}" no longer exists, so the restore started from the beginning.`);
  }
  if (input.resume && !run.earlier && !input.dryRun && state.exists && !state.empty && !input.overwrite) {
    throw new ColdkeepError(
      'NothingToResume',
      `There is no interrupted restore of ${plan.uri} into "${target}" to resume, and the table already holds items; nothing was written.`,
      {
        hint: 'Name the same backup (its id, not "latest", if a newer backup was made since) and target as the interrupted run, or turn on {setting:overwrite} to restore it all again.',
      },
    );
  }
  const refusals: string[] = [];
  /** A real run stops here; a dry run says what the real run will need. */
  const refuse = (code: 'TableExists' | 'NoSuchTable', message: string, hint: string, dryRunNote: string): void => {
    if (!input.dryRun) throw new ColdkeepError(code, `${message}; nothing was written.`, { hint });
    refusals.push(`${message}: ${dryRunNote}`);
  };
  if (state.exists) {
    if (plan.schema) {
      try {
        assertSameKeys(target, state.keySchema, plan.schema);
      } catch (err) {
        if (!input.dryRun) throw err;
        refusals.push(
          `${(err as Error).message} The real restore will refuse it: restore into a new table with --target NEW_NAME.`,
        );
      }
    }
    if (!state.empty && !input.overwrite && !run.earlier) {
      refuse(
        'TableExists',
        `Table "${target}" already holds items`,
        earlier
          ? 'Turn on {setting:resume} to continue the interrupted restore into it (files written in full are not written again), or {setting:overwrite} to replace items with the same keys.'
          : 'Restore into a new table ({setting:target=NEW_NAME}), or turn on {setting:overwrite} to replace items with the same keys.',
        // A warning may name settings as hints do ({setting:…}); each front end words them.
        'the real restore will need {setting:overwrite} (items with the same keys are replaced), or a new table ({setting:target=NEW_NAME}).',
      );
    }
  } else if (input.createTable === false || !plan.schema) {
    const hint = plan.schema
      ? 'Leave out {setting:noCreateTable} to create it from the saved schema.'
      : 'A DynamoDB export carries no schema: create the table with the same keys first, then restore into it.';
    refuse(
      'NoSuchTable',
      `Table "${target}" does not exist`,
      hint,
      plan.schema
        ? 'the real restore will refuse it unless it may create the table from the saved schema.'
        : 'the real restore will refuse it: a DynamoDB export carries no schema, so create the table with the same keys first.',
    );
  }
  run.warnings.push(...refusals);

  // Files written in full by an earlier run are counted from the journal, not read again.
  for (const entry of run.entries) {
    const done = run.earlier?.files[entry.file.key];
    if (!done || done.step !== entry.step) continue;
    const report = run.files[entry.index]!;
    report.outcome = 'written-earlier';
    report.items = done.records;
    run.stepRecords[entry.step]! += done.records;
    run.steps[entry.step]!.puts += done.puts;
    run.steps[entry.step]!.deletes += done.deletes;
    if (plan.steps[entry.step]!.kind === 'incremental' && plan.steps[entry.step]!.oldImages)
      run.countDelta += done.delta;
  }
  return state;
}

/** The files this run has to write (all but those an earlier run wrote in full). */
function filesToWrite(run: RestoreRun, step?: number): RestoreRun['entries'] {
  return run.entries.filter(
    (e) => run.files[e.index]!.outcome !== 'written-earlier' && (step === undefined || e.step === step),
  );
}

/** Every step's files must add up to what its manifest says. */
function assertStepCount(run: RestoreRun, stepIndex: number): void {
  const step = run.plan.steps[stepIndex]!;
  const records = run.stepRecords[stepIndex]!;
  if (step.itemCount !== undefined && records !== step.itemCount) {
    throw new ColdkeepError(
      'CountMismatch',
      `The files of ${step.uri} hold ${records} records, its manifest says ${step.itemCount}.`,
      { hint: 'The backup is inconsistent; restore from another one.', details: { files: run.files } },
    );
  }
}

/**
 * Phase "verify" (verify first): every file still to write is downloaded and proven before
 * anything is written. Staged in `stagingDir` when they fit (with the reserve to spare), else
 * hashed and counted as they stream by and read again for the writes.
 */
async function verifyAll(run: RestoreRun, stagingDir: string, signal?: AbortSignal): Promise<void> {
  const { input, plan, progress } = run;
  const toVerify = filesToWrite(run);
  const choice = await chooseStrategy(
    run.clients.s3,
    plan.bucket,
    toVerify.map((e) => e.file),
    stagingDir,
    input.stagingReserveBytes ?? DEFAULT_STAGING_RESERVE_BYTES,
    signal,
  );
  // A dry run keeps nothing, so it never stages.
  const strategy: Exclude<VerifyStrategy, 'per-file'> = input.dryRun ? 'hash-only' : choice.strategy;
  Object.assign(run.verify, { strategy, files: toVerify.length, bytes: choice.bytes, freeBytes: choice.freeBytes });
  Object.assign(progress, {
    phase: 'verify',
    filesVerified: 0,
    filesToVerify: toVerify.length,
    verifyStrategy: strategy,
    bytesToVerify: choice.bytes,
  });
  run.emit();
  await verifyFiles(
    run.clients.s3,
    plan.bucket,
    toVerify,
    strategy,
    stagingDir,
    input.fileConcurrency ?? 4,
    signal,
    (entry, records, bytes) => {
      run.stepRecords[(entry as RestoreRun['entries'][number]).step]! += records;
      run.verify.records += records;
      run.verify.bytesDownloaded += bytes;
      run.itemsVerified += records;
      if (input.dryRun) Object.assign(run.files[entry.index]!, { outcome: 'verified', items: records });
      progress.filesVerified!++;
      run.emit();
    },
    (entry) => (run.files[entry.index]!.outcome = 'damaged'),
  );
  throwIfAborted(signal);
  plan.steps.forEach((_, i) => assertStepCount(run, i));
}

/**
 * Phase "write": steps strictly in order (a change must land after the state it changes); files
 * of one step in parallel (an incremental export holds each key once, so its records never race).
 * Each file is written from its staged copy, or downloaded (and proven) again just before.
 */
async function writeAll(
  run: RestoreRun,
  stagingDir: string,
  limiter: CapacityLimiter | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const { input, plan, progress } = run;
  const perFile = input.verify === 'per-file';
  progress.phase = 'restore';
  run.emit();
  for (const [stepIndex, step] of plan.steps.entries()) {
    await runPool(
      filesToWrite(run, stepIndex),
      input.fileConcurrency ?? 4,
      async ({ file, index }, poolSignal) => {
        const report = run.files[index]!;
        const path = stagedPath(stagingDir, index);
        if (perFile || run.verify.strategy === 'hash-then-reread') {
          try {
            const { bytes } = await downloadVerified(run.clients.s3, plan.bucket, file, path, poolSignal);
            run.verify.bytesDownloaded += bytes;
          } catch (err) {
            if ((err as { code?: string }).code === 'ChecksumMismatch') report.outcome = 'damaged';
            throw err;
          }
        }
        const counts = await restoreFile(
          input,
          run.clients.dynamodb,
          run.target,
          file,
          path,
          report,
          limiter,
          poolSignal,
          (n) => {
            progress.itemsWritten += n;
            run.emit();
          },
        );
        if (perFile) {
          run.stepRecords[stepIndex]! += counts.records;
          run.itemsVerified += counts.records;
        }
        run.steps[stepIndex]!.puts += counts.puts;
        run.steps[stepIndex]!.deletes += counts.deletes;
        if (step.kind === 'incremental' && step.oldImages) run.countDelta += counts.delta;
        if (!input.dryRun) await run.journal?.fileDone(file.key, { step: stepIndex, ...counts });
        await rm(path, { force: true });
        progress.filesDone++;
        run.emit();
      },
      signal,
    );
    throwIfAborted(signal);
    if (perFile) assertStepCount(run, stepIndex);
  }
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
    } catch (err) {
      // What is on the wire is answered (and counted) before the failure is reported.
      await writer.settle();
      throw err;
    } finally {
      if (report.items === 0) report.outcome = 'not-written';
    }
    report.outcome = 'written';
  }
  assertFileCount(file, counts.records);
  return counts;
}

/** "3 files", "1 file". */
function filesText(n: number): string {
  return `${n} file${n === 1 ? '' : 's'}`;
}

/**
 * The error of a failed restore, saying exactly what DynamoDB acknowledged (every request in flight
 * has been answered by now), file by file, and what became of a table the restore created: it is
 * left in place, with what was written, so that --resume can finish the job.
 */
function failure(cause: unknown, run: RestoreRun): ColdkeepError {
  const { files, target, input } = run;
  const written = files.filter((f) => f.outcome === 'written');
  const partial = files.filter((f) => f.outcome === 'partial');
  const earlier = files.filter((f) => f.outcome === 'written-earlier');
  const damaged = files.filter((f) => f.outcome === 'damaged');
  const notStarted = files.length - written.length - partial.length - earlier.length;
  const itemsWritten = [...written, ...partial].reduce((n, f) => n + f.items, 0);
  const createdTable = run.createdTable || (run.earlier?.createdTable ?? false);
  const parts: string[] = [];
  if (input.dryRun) {
    parts.push(
      `Dry run: nothing was written; ${run.progress.filesVerified ?? 0} of ${filesText(files.length)} verified.`,
    );
  } else if (run.stage === 'verify') {
    parts.push(
      `Nothing was written to "${target}": the restore stopped while verifying the files, ` +
        `${run.progress.filesVerified ?? 0} of ${run.progress.filesToVerify ?? files.length} verified.`,
    );
  } else {
    parts.push(
      `${itemsWritten} items were written to "${target}" (each acknowledged by DynamoDB): ` +
        `${filesText(written.length)} in full, ${filesText(partial.length)} in part` +
        (partial.length ? ` (${partial.map((f) => `${f.key}: ${f.items} items`).join(', ')})` : '') +
        `, ${filesText(notStarted)} not started` +
        (earlier.length ? `; ${filesText(earlier.length)} had been written in full by an earlier run` : '') +
        '.',
    );
  }
  if (damaged.length) parts.push(`Damaged: ${damaged.map((f) => f.key).join(', ')}.`);
  if (createdTable && !input.dryRun) {
    parts.push(`The table "${target}" was created by this restore and was left in place with what was written.`);
  }
  const resumable = !input.dryRun && run.stage === 'write' && run.journal;
  if (resumable) {
    parts.push(
      `Run the same restore again with --resume to finish it: the ${filesText(written.length + earlier.length)} written in full will not be written again.`,
    );
  }
  const details = {
    target,
    createdTable,
    tableLeft: createdTable && !input.dryRun,
    itemsWritten,
    files,
    verify: run.verify,
    ...(resumable ? { journal: run.journal!.path } : {}),
  };
  return withAftermath(cause, {
    job: `Restore into ${target}`,
    summary: parts.join(' '),
    details,
    fallbackCode: 'RestoreFailed',
    fallbackHint: resumable
      ? 'Fix the cause and run the restore again with {setting:resume}: files written in full are not written again.'
      : 'Fix the cause and run the restore again.',
  });
}
