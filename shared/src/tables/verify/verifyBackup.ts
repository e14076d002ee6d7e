import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsClients } from '../../base/aws/clients';
import { isCancelled } from '../../base/errors/ColdkeepError';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import { versionDrift, versionDriftText } from '../repository/backedUpVersions';
import { planRestore, type RestorePlan, type RestoreSource } from '../restore/restorePlan';
import { downloadVerified, readChanges } from '../repository/verifiedDownload';

export interface VerifyBackupInput {
  source: RestoreSource;
  /** Data files checked at once (default 4). */
  concurrency?: number;
}

/**
 * ok: checksum and record count match the manifest. damaged: the checksum does not match.
 * count-mismatch: the file reads, but holds another number of records. unreadable: its lines
 * are not DynamoDB JSON. missing: no such object (or version). archived: in a Glacier class,
 * not read (a restore with --wait retrieves it). error: S3 refused it (the detail says why).
 */
export type FileCheck = 'ok' | 'damaged' | 'count-mismatch' | 'unreadable' | 'missing' | 'archived' | 'error';

export interface FileCheckReport {
  key: string;
  /** Which step of the chain (0: the full backup). */
  step: number;
  check: FileCheck;
  /** The S3 version read: the one the manifest recorded (versioned buckets). */
  versionId?: string;
  /** The key's current version, when it is not the backed-up one (absent: deleted since). */
  currentVersionId?: string;
  versionChanged: boolean;
  /** Records read from the file (0 when it could not be read). */
  items: number;
  /** Records the manifest says it holds. */
  expectedItems?: number;
  checksum: 'sha256' | 'md5' | 'none';
  detail?: string;
}

export interface VerifyBackupProgress {
  phase: 'plan' | 'versions' | 'verify';
  filesDone: number;
  filesTotal: number;
  itemsVerified: number;
}

export interface VerifyBackupReport {
  source: string;
  kind: RestorePlan['kind'];
  backupId?: string;
  /** Every file intact, every count equal to the manifest's. */
  ok: boolean;
  files: FileCheckReport[];
  /** Records read from the files that are intact. */
  itemsVerified: number;
  itemsExpected?: number;
  /** Files whose current S3 version is not the backed-up one (they were overwritten or deleted). */
  versionsChanged: number;
  /** One line per problem, naming the file. */
  problems: string[];
  /** Facts that are not problems (a changed current version whose backed-up version is intact). */
  warnings: string[];
  durationMs: number;
}

/**
 * Checks a backup without writing anything (nor starting retrievals): every data file of every
 * step is downloaded at the version the manifest recorded, its SHA-256 (MD5 for exports)
 * compared, its records read and counted, and each step's total compared with its manifest.
 * Problems are collected per file, not thrown: the report names every damaged file.
 * The one core of `coldkeep backups verify` and the VS Code command Verify Backup.
 */
export async function verifyBackup(
  clients: AwsClients,
  input: VerifyBackupInput,
  { signal, onProgress }: JobOptions<VerifyBackupProgress> = {},
): Promise<VerifyBackupReport> {
  const startedAt = Date.now();
  const { s3 } = clients;
  const progress: VerifyBackupProgress = { phase: 'plan', filesDone: 0, filesTotal: 0, itemsVerified: 0 };
  const emit = (): void => onProgress?.({ ...progress });
  emit();
  const plan = await planRestore(s3, input.source, signal);
  progress.filesTotal = plan.files.length;
  progress.phase = 'versions';
  emit();
  const drift = new Map((await versionDrift(s3, plan.bucket, plan.files, signal)).map((d) => [d.key, d]));

  const files: FileCheckReport[] = plan.steps.flatMap((step, i) =>
    step.files.map((f) => {
      const changed = drift.get(f.key);
      return {
        key: f.key,
        step: i,
        check: 'ok' as FileCheck,
        ...(f.versionId ? { versionId: f.versionId } : {}),
        ...(changed?.current ? { currentVersionId: changed.current } : {}),
        versionChanged: changed !== undefined,
        items: 0,
        ...(f.items !== undefined ? { expectedItems: f.items } : {}),
        checksum: f.sha256 ? ('sha256' as const) : f.md5 ? ('md5' as const) : ('none' as const),
      };
    }),
  );
  const planned = plan.steps.flatMap((step) => step.files);
  progress.phase = 'verify';
  emit();
  const tempDir = await mkdtemp(join(tmpdir(), 'coldkeep-verify-'));
  try {
    await runPool(
      files.map((report, index) => ({ report, index })),
      input.concurrency ?? 4,
      async ({ report, index }, poolSignal) => {
        const path = join(tempDir, `${index}.json.gz`);
        try {
          await downloadVerified(s3, plan.bucket, planned[index]!, path, poolSignal);
          for await (const change of readChanges(path, report.key)) {
            void change;
            report.items++;
          }
          if (report.expectedItems !== undefined && report.items !== report.expectedItems) {
            report.check = 'count-mismatch';
            report.detail = `holds ${report.items} records, the manifest says ${report.expectedItems}`;
          }
        } catch (err) {
          if (isCancelled(err) || poolSignal.aborted) throw err;
          report.items = 0;
          report.check = checkOf(err);
          report.detail = (err as Error).message;
        } finally {
          await rm(path, { force: true });
        }
        if (report.check === 'ok') progress.itemsVerified += report.items;
        progress.filesDone++;
        emit();
      },
      signal,
    );
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
  throwIfAborted(signal);

  const problems = files
    .filter((f) => f.check !== 'ok')
    .map((f) => `${f.key}: ${f.check}${f.detail ? ` (${f.detail})` : ''}`);
  // Every file intact, yet a step's total differs from its manifest: the manifest lists too few files.
  plan.steps.forEach((step, i) => {
    const stepFiles = files.filter((f) => f.step === i);
    if (step.itemCount === undefined || stepFiles.some((f) => f.check !== 'ok')) return;
    const read = stepFiles.reduce((n, f) => n + f.items, 0);
    if (read !== step.itemCount) {
      problems.push(`${step.uri}: its files hold ${read} records, its manifest says ${step.itemCount}`);
    }
  });
  const warnings = [...drift.values()].map((d) => versionDriftText(plan.bucket, d));
  return {
    source: plan.uri,
    kind: plan.kind,
    ...(plan.backupId ? { backupId: plan.backupId } : {}),
    ok: problems.length === 0,
    files,
    itemsVerified: progress.itemsVerified,
    ...(plan.itemCount !== undefined ? { itemsExpected: plan.itemCount } : {}),
    versionsChanged: drift.size,
    problems,
    warnings,
    durationMs: Date.now() - startedAt,
  };
}

function checkOf(err: unknown): FileCheck {
  const e = err as { code?: string; name?: string; cause?: { name?: string } };
  if (e.code === 'ChecksumMismatch') return 'damaged';
  if (e.code === 'ManifestInvalid') return 'unreadable';
  if (e.code === 'ArchivedObjects') return 'archived';
  const name = e.cause?.name ?? e.name;
  if (name === 'NoSuchKey' || name === 'NoSuchVersion' || e.code === 'BackupNotFound') return 'missing';
  if (name === 'InvalidObjectState') return 'archived';
  // A gzip stream that does not inflate is damage the checksum did not cover (no checksum recorded).
  if (/incorrect header check|unexpected end of file|invalid (block|distance|stored)/i.test((err as Error).message))
    return 'unreadable';
  return 'error';
}
