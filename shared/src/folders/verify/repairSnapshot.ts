import { hostname } from 'node:os';
import type { AwsClients } from '../../base/aws/clients';
import type { StorageOptions } from '../../storage/storageOptions';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { backupFolder } from '../backup/backupFolder';
import type { FolderBackupProgress, FolderBackupReport } from '../backup/backupReport';
import { sourceLocation } from '../repository/layout';
import { readSnapshot, resolveSnapshotId } from '../repository/snapshotCatalog';
import { snapshotEntries } from '../repository/snapshotEntries';
import type { FileEntry } from '../repository/snapshotManifest';
import {
  type BlobProblem,
  type SnapshotVerifyProgress,
  type SnapshotVerifyReport,
  verifySnapshot,
} from './verifySnapshot';

export interface SnapshotRepairInput extends StorageOptions {
  bucket: string;
  prefix?: string;
  source: string;
  /** The snapshot to verify (an id, a unique start of one, or "latest"). */
  snapshotId: string;
  /** How much the verify re-reads (a damage of the same length is only found by re-reading). */
  readData?: 'none' | 'sample' | 'all';
  sampleSize?: number;
  /** The folder to store the damaged content from; the snapshot's own folder by default (same host only). */
  dir?: string;
  concurrency?: number;
  /** For tests: the clock of the repairing backup. */
  now?: () => Date;
}

export type SnapshotRepairProgress =
  ({ step: 'verify' } & SnapshotVerifyProgress) | ({ step: 'backup' } & FolderBackupProgress);

/** Content a damaged object held, and whether the repair stored it again. */
export interface DamagedContent {
  sha256: string;
  /** Files of the verified snapshot with this content (first few). */
  paths: string[];
  /** The damaged object it was in. */
  key: string;
  problem: BlobProblem['problem'];
}

export interface SnapshotRepairReport {
  verify: SnapshotVerifyReport;
  /** The backup that stored the damaged content again (absent when nothing was damaged). */
  backup?: FolderBackupReport;
  /** The folder read. */
  dir?: string;
  /** Damaged content the new snapshot holds in fresh objects. */
  repaired: DamagedContent[];
  /** Damaged content the folder no longer holds: restore it from another snapshot, if any has it. */
  notRepaired: (DamagedContent & { reason: string })[];
}

/**
 * Verifies a snapshot (recording what is damaged or missing), then backs up the source's folder
 * with those objects marked as damaged, so that every file whose content is still there is
 * read and stored again in new objects (a new pack, or its blob written anew). The verified
 * snapshot itself is not rewritten: it stays damaged, and verify keeps saying so. Reports, per
 * damaged content, whether the new snapshot holds it.
 */
export async function repairSnapshot(
  clients: AwsClients,
  input: SnapshotRepairInput,
  { signal, onProgress }: JobOptions<SnapshotRepairProgress> = {},
): Promise<SnapshotRepairReport> {
  throwIfAborted(signal);
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  const snapshotId = await resolveSnapshotId(clients.s3, loc, input.snapshotId, signal);
  const verify = await verifySnapshot(
    clients,
    {
      bucket: input.bucket,
      prefix: input.prefix,
      source: input.source,
      snapshotId,
      readData: input.readData,
      ...(input.sampleSize ? { sampleSize: input.sampleSize } : {}),
      concurrency: input.concurrency,
      storage: input,
    },
    { signal, onProgress: (p) => onProgress?.({ step: 'verify', ...p }) },
  );
  if (verify.ok) return { verify, repaired: [], notRepaired: [] };
  if (verify.recording.error) {
    throw new ColdkeepError('SnapshotDamaged', `The damage found could not be recorded: ${verify.recording.error}`, {
      hint: 'The repair needs to write under the source\'s "damaged/" folder (s3:PutObject); the files named are not restorable from this snapshot.',
      details: { verify },
    });
  }
  const manifest = await readSnapshot(clients.s3, loc, snapshotId, signal);
  if (!input.dir && manifest.host !== hostname()) {
    throw new ColdkeepError(
      'InvalidInput',
      `Snapshot ${snapshotId} was made on ${manifest.host}, of ${manifest.dir}; this is ${hostname()}.`,
      {
        hint: `Run the repair on ${manifest.host}, or give the folder that holds the same files with {setting:dir=FOLDER}.`,
        details: { verify },
      },
    );
  }
  const dir = input.dir ?? manifest.dir;
  const backup = await backupFolder(
    clients,
    {
      dir,
      bucket: input.bucket,
      ...(input.prefix !== undefined ? { prefix: input.prefix } : {}),
      source: loc.source,
      // The same selection as the snapshot: its exclude patterns (the defaults among them).
      excludes: manifest.excludes,
      defaultExcludes: false,
      lifecycleTag:
        input.lifecycleTag !== undefined
          ? input.lifecycleTag
          : manifest.storage.lifecycleTag
            ? { ...manifest.storage.lifecycleTag }
            : null,
      ...(input.sse ? { sse: input.sse } : manifest.storage.sse ? { sse: manifest.storage.sse } : {}),
      ...(input.objectLock ? { objectLock: input.objectLock } : {}),
      ...(input.concurrency ? { concurrency: input.concurrency } : {}),
      ...(input.now ? { now: input.now } : {}),
    },
    { signal, onProgress: (p) => onProgress?.({ step: 'backup', ...p }) },
  );
  // The backup stored every damaged content it met anew (it trusts no recorded object), so the
  // new snapshot holding a content means that content is repaired.
  const fresh = await readSnapshot(clients.s3, loc, backup.snapshotId, signal);
  const held = new Set<string>();
  const paths = new Set<string>();
  for (const e of (await snapshotEntries(clients.s3, loc, fresh, { signal })).entries) {
    if (e.type !== 'file') continue;
    held.add((e as FileEntry).sha256);
    paths.add(e.path);
  }
  const contents = new Map<string, DamagedContent>();
  for (const p of verify.problems) {
    const known = contents.get(p.sha256);
    if (known) known.paths.push(...p.paths.filter((x) => !known.paths.includes(x)));
    else contents.set(p.sha256, { sha256: p.sha256, paths: [...p.paths], key: p.key, problem: p.problem });
  }
  const repaired: DamagedContent[] = [];
  const notRepaired: SnapshotRepairReport['notRepaired'] = [];
  for (const c of contents.values()) {
    if (held.has(c.sha256)) repaired.push(c);
    else
      notRepaired.push({
        ...c,
        reason: c.paths.some((p) => paths.has(p))
          ? `changed in ${dir} since the snapshot: the content it had is nowhere else`
          : `no longer in ${dir}`,
      });
  }
  return { verify, backup, dir, repaired, notRepaired };
}
