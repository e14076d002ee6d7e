import { rm } from 'node:fs/promises';
import type { AwsClients } from '../../base/aws/clients';
import { throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import { type ChangeRecord, lineItemJson, lineToChange } from '../repository/itemLines';
import { downloadVerified, isBlankLine, readChanges, readLines } from '../repository/verifiedDownload';
import type { CapacityLimiter } from '../source/capacityLimiter';
import { BatchWriter } from './batchWriter';
import type { PlannedFile } from './restorePlan';
import type { FileReport, RestoreTableInput } from './restoreReport';
import { assertStepCount, filesToWrite, type PlanEntry, type TableRestoreRun } from './restoreRun';
import { assertFileCount, stagedPath } from './verifyFirst';

/**
 * Phase "write": steps strictly in order (a change must land after the state it changes); files
 * of one step in parallel (an incremental export holds each key once, so its records never race).
 * Each file is written from its staged copy, or downloaded (and proven) again just before.
 */
export async function writeAll(run: TableRestoreRun, limiter: CapacityLimiter | undefined): Promise<void> {
  const { input, plan, progress, signal } = run;
  progress.phase = 'restore';
  run.emit();
  for (const stepIndex of plan.steps.keys()) {
    await runPool(
      filesToWrite(run, stepIndex),
      input.fileConcurrency ?? 4,
      (entry, poolSignal) => writeFile(run, entry, limiter, poolSignal),
      signal,
    );
    throwIfAborted(signal);
    if (input.verify === 'per-file') assertStepCount(run, stepIndex);
  }
}

/** One file of a step, from its proven copy into the table; its counts go to the step and the journal. */
async function writeFile(
  run: TableRestoreRun,
  { file, index, step: stepIndex }: PlanEntry,
  limiter: CapacityLimiter | undefined,
  poolSignal: AbortSignal,
): Promise<void> {
  const { input, plan, progress } = run;
  const perFile = input.verify === 'per-file';
  const step = plan.steps[stepIndex]!;
  const report = run.files[index]!;
  const path = stagedPath(run.verify.stagingDir, index);
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
