import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
import { type StorageOptions } from '../../storage/storageOptions';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import { listBlobs, listPacks } from '../repository/blobStore';
import { listDamageRecords, recordApplies } from '../repository/damageRecords';
import { deleteKeys } from '../forget/forgetSnapshots';
import type { TreeRef } from '../repository/folderTree';
import { packIndexKey, sourceLocation, treePackIdOf, treesDir } from '../repository/layout';
import { listPackIndexIds } from '../repository/packIndex';
import { readSnapshot, snapshotIds } from '../repository/snapshotCatalog';
import { acquireSourceLock } from '../repository/sourceLock';
import { forEachTree } from '../repository/treeStore';
import { listObjects } from '../../storage/objectListing';

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
  /** Blobs stored as objects of their own. */
  storedBlobs: number;
  referencedBlobs: number;
  /** Unreferenced blobs deleted (or, in a dry run, that would be). */
  deletedBlobs: number;
  /** Packs (small files' blobs) stored, referenced and deleted; a pack goes when no snapshot needs any blob in it. */
  storedPacks: number;
  referencedPacks: number;
  deletedPacks: number;
  /**
   * Tree packs (folder trees of format 3 snapshots) stored, referenced and deleted: a tree pack
   * goes when no remaining snapshot's trees are in it.
   */
  storedTreePacks: number;
  referencedTreePacks: number;
  deletedTreePacks: number;
  /** Bytes of the blobs and packs deleted. */
  deletedBytes: number;
  /**
   * Damage records deleted (or, in a dry run, that would be): those whose object is gone and no
   * snapshot needs, or was written again since it was found damaged.
   */
  deletedDamageRecords: number;
  /** Unreferenced objects kept because Object Lock retention or a legal hold protects them. */
  lockedKept: { key: string; until?: string; legalHold?: boolean }[];
  /** Deletions S3 refused. */
  notDeleted: { key: string; reason: string }[];
  staleLocksIgnored: string[];
  durationMs: number;
}

interface Candidate {
  key: string;
  size: number;
  kind: 'blob' | 'pack' | 'index' | 'tree-pack';
  packId?: string;
}

/**
 * Deletes the blobs and packs no snapshot of the source references. Never while a backup of the source
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
    const referencedPacks = new Set<string>();
    const referencedTreePacks = new Set<string>();
    const uses = (e: { sha256: string; pack?: string }): void => {
      if (e.pack === undefined) referenced.add(e.sha256);
      else referencedPacks.add(e.pack);
    };
    const roots: TreeRef[] = [];
    await runPool(
      ids,
      4,
      async (id, poolSignal) => {
        const manifest = await readSnapshot(clients.s3, loc, id, poolSignal);
        // Formats 1 and 2 hold their entries; format 3 names its root tree, walked below.
        for (const e of manifest.entries ?? []) if (e.type === 'file') uses(e);
        if (manifest.tree) roots.push(manifest.tree);
        progress.snapshotsRead++;
        onProgress?.({ ...progress });
      },
      signal,
    );
    // Every tree of the remaining snapshots, each read once however many snapshots share it.
    await forEachTree(
      clients.s3,
      loc,
      roots,
      (ref, entries) => {
        referencedTreePacks.add(ref.pack);
        for (const e of entries) if (e.type === 'file') uses(e);
      },
      signal,
    );
    progress.phase = 'list-blobs';
    onProgress?.({ ...progress });
    const [stored, packs, indexed, records, treePacks] = await Promise.all([
      listBlobs(clients.s3, loc, signal),
      listPacks(clients.s3, loc, signal),
      listPackIndexIds(clients.s3, loc, undefined, signal).then((ids) => new Set(ids)),
      listDamageRecords(clients.s3, loc, signal),
      listTreePacks(clients, loc, signal),
    ]);
    // An index never outlives its pack (a backup would trust it): indexes go first, and a pack
    // only when its index is gone.
    const candidates: Candidate[] = [
      ...[...indexed]
        .filter((id) => !referencedPacks.has(id))
        .map((id): Candidate => ({ key: packIndexKey(loc, id), size: 0, kind: 'index', packId: id })),
      ...[...packs]
        .filter(([packId]) => !referencedPacks.has(packId))
        .map(([packId, p]): Candidate => ({ key: p.key, size: p.size, kind: 'pack', packId })),
      ...[...stored]
        .filter(([sha256]) => !referenced.has(sha256))
        .map(([, b]): Candidate => ({ key: b.key, size: b.size, kind: 'blob' })),
      ...[...treePacks]
        .filter(([packId]) => !referencedTreePacks.has(packId))
        .map(([packId, t]): Candidate => ({ key: t.key, size: t.size, kind: 'tree-pack', packId })),
    ];
    Object.assign(progress, { phase: 'check-locks', candidates: candidates.length });
    onProgress?.({ ...progress });

    const deletable: Candidate[] = [];
    const lockedKept: PruneReport['lockedKept'] = [];
    await runPool(
      candidates,
      16,
      async (candidate, poolSignal) => {
        const head = await clients.s3
          .send(new HeadObjectCommand({ Bucket: loc.bucket, Key: candidate.key }), { abortSignal: poolSignal })
          .catch((err: unknown) => {
            throw fromAwsError(err, { doing: `check the retention of ${candidate.key}`, bucket: loc.bucket });
          });
        const until = head.ObjectLockRetainUntilDate;
        const retained = until !== undefined && until.getTime() > now.getTime();
        const legalHold = head.ObjectLockLegalHoldStatus === 'ON';
        if (retained || legalHold) {
          lockedKept.push({
            key: candidate.key,
            ...(retained ? { until: until.toISOString() } : {}),
            ...(legalHold ? { legalHold } : {}),
          });
        } else deletable.push(candidate);
      },
      signal,
    );
    progress.phase = 'delete';
    onProgress?.({ ...progress });
    const deleted: Candidate[] = [];
    const notDeleted: PruneReport['notDeleted'] = [];
    if (!input.dryRun) {
      const indexes = deletable.filter((c) => c.kind === 'index');
      const refusedIndexes = await deleteKeys(
        clients.s3,
        loc.bucket,
        indexes.map((c) => c.key),
        signal,
      );
      const indexKept = new Set(refusedIndexes.map((r) => r.key));
      for (const c of lockedKept) indexKept.add(c.key);
      const rest = deletable.filter(
        (c) => c.kind !== 'index' && !(c.kind === 'pack' && indexKept.has(packIndexKey(loc, c.packId!))),
      );
      const refused = await deleteKeys(
        clients.s3,
        loc.bucket,
        rest.map((c) => c.key),
        signal,
      );
      notDeleted.push(...refusedIndexes, ...refused);
      const failed = new Set(notDeleted.map((r) => r.key));
      deleted.push(...[...indexes, ...rest].filter((c) => !failed.has(c.key)));
    } else deleted.push(...deletable);
    // A damage record goes when it no longer guards anything: its object was written again
    // since (another ETag), or is gone (deleted now, or missing) and no snapshot needs it.
    const gone = new Set(deleted.map((c) => c.key));
    const obsoleteRecords = records.filter((r) => {
      const object = (r.kind === 'blob' ? stored : packs).get(r.id);
      const needed = r.kind === 'blob' ? referenced.has(r.id) : referencedPacks.has(r.id);
      if (object && gone.has(object.key)) return true;
      if (!object) return !needed;
      return !recordApplies(r, object.etag);
    });
    if (!input.dryRun && obsoleteRecords.length) {
      const refused = await deleteKeys(
        clients.s3,
        loc.bucket,
        obsoleteRecords.map((r) => r.key),
        signal,
      );
      notDeleted.push(...refused);
    }
    const recordsRefused = new Set(notDeleted.map((r) => r.key));
    return {
      source: loc.source,
      dryRun: input.dryRun ?? false,
      snapshots: ids.length,
      storedBlobs: stored.size,
      referencedBlobs: [...stored.keys()].filter((sha) => referenced.has(sha)).length,
      deletedBlobs: deleted.filter((c) => c.kind === 'blob').length,
      storedPacks: packs.size,
      referencedPacks: [...packs.keys()].filter((id) => referencedPacks.has(id)).length,
      deletedPacks: deleted.filter((c) => c.kind === 'pack').length,
      storedTreePacks: treePacks.size,
      referencedTreePacks: [...treePacks.keys()].filter((id) => referencedTreePacks.has(id)).length,
      deletedTreePacks: deleted.filter((c) => c.kind === 'tree-pack').length,
      deletedBytes: deleted.reduce((n, c) => n + c.size, 0),
      deletedDamageRecords: obsoleteRecords.filter((r) => !recordsRefused.has(r.key)).length,
      lockedKept,
      notDeleted,
      staleLocksIgnored: lock.staleIgnored,
      durationMs: Date.now() - started,
    };
  } finally {
    await lock.release();
  }
}

/** The tree packs of a source, by pack id, from one listing. */
async function listTreePacks(
  clients: AwsClients,
  loc: ReturnType<typeof sourceLocation>,
  signal?: AbortSignal,
): Promise<Map<string, { key: string; size: number }>> {
  const found = new Map<string, { key: string; size: number }>();
  for await (const o of listObjects(clients.s3, loc.bucket, treesDir(loc), signal)) {
    const id = treePackIdOf(o.Key ?? '');
    if (id) found.set(id, { key: o.Key!, size: o.Size ?? 0 });
  }
  return found;
}
