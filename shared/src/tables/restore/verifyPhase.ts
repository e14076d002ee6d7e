import { throwIfAborted } from '../../base/jobs/job';
import { assertStepCount, filesToWrite, type PlanEntry, type TableRestoreRun } from './restoreRun';
import { chooseStrategy, DEFAULT_STAGING_RESERVE_BYTES, verifyFiles, type VerifyStrategy } from './verifyFirst';

/**
 * Phase "verify" (verify first): every file still to write is downloaded and proven before
 * anything is written. Staged in the run's staging folder when they fit (with the reserve to
 * spare), else hashed and counted as they stream by and read again for the writes.
 */
export async function verifyAll(run: TableRestoreRun): Promise<void> {
  const { input, plan, progress, signal } = run;
  const { stagingDir } = run.verify;
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
      run.stepRecords[(entry as PlanEntry).step]! += records;
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
