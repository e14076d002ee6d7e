import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../aws';
import { type StorageOptions } from '../backup';
import { fromAwsError } from '../errors';
import { type JobOptions, runPool, throwIfAborted } from '../jobs';
import { listBlobs, type StoredBlob } from './blobStore';
import { deleteKeys } from './forgetSnapshots';
import { sourceLocation } from './layout';
import { readSnapshot, snapshotIds } from './snapshotCatalog';
import { acquireSourceLock } from './sourceLock';

export interface PruneInput {
  bucket: string;
  prefix?: string;
  source: string;
  /** Say what would be deleted, delete nothing. */
  dryRun?: boolean;
  /** A backup lock not refreshed for this long is stale (default 30 minutes). */
  lockStaleMs?: number;
  /** SSE for the lock object. */
  storage?: StorageOptions;
  /** For tests: "now", to judge Object Lock retention. */
  now?: () => Date;
}

export interface PruneProgress {
  phase: 'lock' | 'read-snapshots' | 'list-blobs' | 'check-locks' | 'delete';
  source: string;
  snapshots: number;
  snapshotsRead: number;
  candidates: number;
}

export interface PruneReport {
  source: string;
  dryRun: boolean;
  snapshots: number;
  storedBlobs: number;
  referencedBlobs: number;
  /** Unreferenced blobs deleted (or, in a dry run, that would be). */
  deletedBlobs: number;
  deletedBytes: number;
  /** Unreferenced blobs kept because Object Lock retention or a legal hold protects them. */
  lockedKept: { key: string; until?: string; legalHold?: boolean }[];
  /** Deletions S3 refused. */
  notDeleted: { key: string; reason: string }[];
  staleLocksIgnored: string[];
  durationMs: number;
}

/**
 * Deletes the blobs no snapshot of the source references. Never while a backup of the source
 * runs (a lock object in S3 guards it), and never an object under Object Lock retention or
 * legal hold (checked with HeadObject first, so no delete marker hides a locked blob either).
 */
export async function pruneBlobs(
  clients: AwsClients,
  input: PruneInput,
  { signal, onProgress }: JobOptions<PruneProgress> = {},
): Promise<PruneReport> {
  const started = Date.now();
  const now = (input.now ?? (() => new Date()))();
  throwIfAborted(signal);
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  const progress: PruneProgress = { phase: 'lock', source: loc.source, snapshots: 0, snapshotsRead: 0, candidates: 0 };
  onProgress?.({ ...progress });
  const lock = await acquireSourceLock(clients.s3, loc, 'prune', {
    staleMs: input.lockStaleMs,
    storage: input.storage,
    signal,
  });
  try {
    const ids = await snapshotIds(clients.s3, loc, signal);
    Object.assign(progress, { phase: 'read-snapshots', snapshots: ids.length });
    onProgress?.({ ...progress });
    const referenced = new Set<string>();
    await runPool(
      ids,
      4,
      async (id, poolSignal) => {
        const manifest = await readSnapshot(clients.s3, loc, id, poolSignal);
        for (const e of manifest.entries) if (e.type === 'file') referenced.add(e.sha256);
        progress.snapshotsRead++;
        onProgress?.({ ...progress });
      },
      signal,
    );
    progress.phase = 'list-blobs';
    onProgress?.({ ...progress });
    const stored = await listBlobs(clients.s3, loc, signal);
    const candidates = [...stored.values()].filter((b) => !referenced.has(b.sha256));
    Object.assign(progress, { phase: 'check-locks', candidates: candidates.length });
    onProgress?.({ ...progress });

    const deletable: StoredBlob[] = [];
    const lockedKept: PruneReport['lockedKept'] = [];
    await runPool(
      candidates,
      16,
      async (blob, poolSignal) => {
        const head = await clients.s3
          .send(new HeadObjectCommand({ Bucket: loc.bucket, Key: blob.key }), { abortSignal: poolSignal })
          .catch((err: unknown) => {
            throw fromAwsError(err, { doing: `check the retention of ${blob.key}`, bucket: loc.bucket });
          });
        const until = head.ObjectLockRetainUntilDate;
        const retained = until !== undefined && until.getTime() > now.getTime();
        const legalHold = head.ObjectLockLegalHoldStatus === 'ON';
        if (retained || legalHold) {
          lockedKept.push({
            key: blob.key,
            ...(retained ? { until: until.toISOString() } : {}),
            ...(legalHold ? { legalHold } : {}),
          });
        } else deletable.push(blob);
      },
      signal,
    );
    progress.phase = 'delete';
    onProgress?.({ ...progress });
    const notDeleted = input.dryRun
      ? []
      : await deleteKeys(
          clients.s3,
          loc.bucket,
          deletable.map((b) => b.key),
          signal,
        );
    const deleted = deletable.filter((b) => !notDeleted.some((n) => n.key === b.key));
    return {
      source: loc.source,
      dryRun: input.dryRun ?? false,
      snapshots: ids.length,
      storedBlobs: stored.size,
      referencedBlobs: [...stored.keys()].filter((sha) => referenced.has(sha)).length,
      deletedBlobs: deleted.length,
      deletedBytes: deleted.reduce((n, b) => n + b.size, 0),
      lockedKept,
      notDeleted,
      staleLocksIgnored: lock.staleIgnored,
      durationMs: Date.now() - started,
    };
  } finally {
    await lock.release();
  }
}
