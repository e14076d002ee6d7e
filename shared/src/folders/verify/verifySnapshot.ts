import { isArchivedClass } from '../../storage/archiveClasses';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
import type { StorageOptions } from '../../storage/storageOptions';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import { listBlobs, listPacks } from '../repository/blobStore';
import {
  type DamageFinding,
  type DamageRecording,
  type DamagedKind,
  listDamageRecords,
  liveDamage,
  MISSING_OBJECT,
  recordDamage,
} from '../repository/damageRecords';
import { blobKey, packKey, sourceLocation } from '../repository/layout';
import { readPackSlices } from '../repository/packReader';
import { readSnapshot, resolveSnapshotId } from '../repository/snapshotCatalog';
import { snapshotEntries } from '../repository/snapshotEntries';
import type { FileEntry } from '../repository/snapshotManifest';

export interface SnapshotVerifyInput {
  bucket: string;
  prefix?: string;
  source: string;
  snapshotId: string;
  /** Re-hash blob contents: none (default), a random sample, or all. */
  readData?: 'none' | 'sample' | 'all';
  /** Blobs re-hashed with readData "sample" (default 20). */
  sampleSize?: number;
  concurrency?: number;
  /** Record what is found damaged or missing, so that no later backup reuses it (default true). */
  record?: boolean;
  /** SSE for the damage records. */
  storage?: StorageOptions;
  /** For tests: the sampling randomness. */
  random?: () => number;
}

export interface SnapshotVerifyProgress {
  phase: 'list' | 'read';
  source: string;
  snapshotId?: string;
  blobs: number;
  read: number;
  toRead: number;
}

export interface BlobProblem {
  sha256: string;
  /** The object the blob is (or is in, for a packed blob). */
  key: string;
  /** The pack, for a packed blob. */
  pack?: string;
  /** Files of the snapshot that use it (first few). */
  paths: string[];
  /** known-damaged: an earlier verify or restore recorded the object as damaged (it is not read again). */
  problem: 'missing' | 'size-mismatch' | 'hash-mismatch' | 'known-damaged';
  detail?: string;
}

export interface SnapshotVerifyReport {
  source: string;
  snapshotId: string;
  ok: boolean;
  files: number;
  blobs: number;
  /** Folder trees read and checked against their names (format 3; 0 for older snapshots). */
  trees: number;
  /** Blobs re-hashed. */
  readBlobs: number;
  readBytes: number;
  /** Archived blobs that could not be re-hashed without a retrieval. */
  archivedNotRead: number;
  problems: BlobProblem[];
  /** Damage records written for what this run found (see damageRecords.ts); `error` if that failed. */
  recording: DamageRecording;
  durationMs: number;
}

/** A blob as the snapshot uses it: where it is, and the files that need it. */
interface BlobUse {
  sha256: string;
  size: number;
  pack: string | undefined;
  packOffset: number;
  files: FileEntry[];
}

/**
 * Checks that every blob a snapshot needs exists with the right size, and re-hashes a sample of
 * them or all of them on request. Archived blobs are counted, not retrieved.
 */
export async function verifySnapshot(
  clients: AwsClients,
  input: SnapshotVerifyInput,
  { signal, onProgress }: JobOptions<SnapshotVerifyProgress> = {},
): Promise<SnapshotVerifyReport> {
  const started = Date.now();
  throwIfAborted(signal);
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  const snapshotId = await resolveSnapshotId(clients.s3, loc, input.snapshotId, signal);
  const manifest = await readSnapshot(clients.s3, loc, snapshotId, signal);
  // Format 3: every tree is read and checked against its name (a damaged one is SnapshotDamaged).
  const { entries, trees } = await snapshotEntries(clients.s3, loc, manifest, { signal });
  const files = entries.filter((e): e is FileEntry => e.type === 'file');
  // One blob per place: files with the same content at the same place share it.
  const blobs = new Map<string, BlobUse>();
  for (const f of files) {
    const id = `${f.pack ?? ''}:${f.packOffset ?? ''}:${f.sha256}`;
    const use = blobs.get(id);
    if (use) use.files.push(f);
    else blobs.set(id, { sha256: f.sha256, size: f.size, pack: f.pack, packOffset: f.packOffset ?? 0, files: [f] });
  }
  const progress: SnapshotVerifyProgress = {
    phase: 'list',
    source: loc.source,
    snapshotId,
    blobs: blobs.size,
    read: 0,
    toRead: 0,
  };
  onProgress?.({ ...progress });

  const uses = [...blobs.values()];
  const [stored, packs, records] = await Promise.all([
    uses.some((u) => u.pack === undefined) ? listBlobs(clients.s3, loc, signal) : undefined,
    uses.some((u) => u.pack !== undefined) ? listPacks(clients.s3, loc, signal) : undefined,
    listDamageRecords(clients.s3, loc, signal),
  ]);
  // A record applies while its object is the one found damaged (same ETag, or still absent).
  const damaged = liveDamage(records, (kind, id) => (kind === 'blob' ? stored : packs)?.get(id)?.etag);
  const problems: BlobProblem[] = [];
  const keyOf = (use: BlobUse): string => (use.pack === undefined ? blobKey(loc, use.sha256) : packKey(loc, use.pack));
  const problem = (use: BlobUse, kind: BlobProblem['problem'], detail?: string): void => {
    problems.push({
      sha256: use.sha256,
      key: keyOf(use),
      ...(use.pack !== undefined ? { pack: use.pack } : {}),
      paths: use.files.slice(0, 5).map((f) => f.path),
      problem: kind,
      ...(detail ? { detail } : {}),
    });
  };
  const readable: BlobUse[] = [];
  let archivedNotRead = 0;
  for (const use of uses) {
    const record = damaged.recordOf(use);
    if (record) {
      problem(
        use,
        'known-damaged',
        `found damaged or missing earlier${record.recordedAt ? ` (recorded ${record.recordedAt})` : ''}`,
      );
    } else if (use.pack === undefined) {
      const blob = stored!.get(use.sha256);
      if (!blob) problem(use, 'missing');
      else if (blob.size !== use.size) problem(use, 'size-mismatch', `stored ${blob.size} bytes, expected ${use.size}`);
      else if (isArchivedClass(blob.storageClass)) archivedNotRead++;
      else readable.push(use);
    } else {
      const pack = packs!.get(use.pack);
      const end = use.packOffset + use.size;
      if (!pack) problem(use, 'missing', `pack ${use.pack} is missing`);
      else if (pack.size < end) problem(use, 'size-mismatch', `pack holds ${pack.size} bytes, the blob ends at ${end}`);
      else if (isArchivedClass(pack.storageClass)) archivedNotRead++;
      else readable.push(use);
    }
  }

  let toRead: BlobUse[] = [];
  if (input.readData === 'all') toRead = readable;
  else if (input.readData === 'sample') {
    const random = input.random ?? Math.random;
    const pool = [...readable];
    const n = Math.min(input.sampleSize ?? 20, pool.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    toRead = pool.slice(0, n);
  }
  progress.phase = 'read';
  progress.toRead = toRead.length;
  onProgress?.({ ...progress });
  let readBytes = 0;
  const checked = (use: BlobUse, actual: string): void => {
    if (actual !== use.sha256) problem(use, 'hash-mismatch', `content hashes to ${actual}`);
    progress.read++;
    onProgress?.({ ...progress });
  };
  // A pack is read once (one ranged GET) for all of its blobs to check.
  const packed = new Map<string, BlobUse[]>();
  const own: BlobUse[] = [];
  for (const use of toRead) {
    if (use.pack === undefined) own.push(use);
    else {
      const group = packed.get(use.pack);
      if (group) group.push(use);
      else packed.set(use.pack, [use]);
    }
  }
  const tasks: (BlobUse | { pack: string; uses: BlobUse[] })[] = [
    ...[...packed].map(([pack, packUses]) => ({ pack, uses: packUses })),
    ...own,
  ];
  await runPool(
    tasks,
    input.concurrency ?? 8,
    async (task, poolSignal) => {
      if ('uses' in task) {
        readBytes += await readPackSlices(
          clients.s3,
          loc,
          task.pack,
          task.uses,
          async (use, _body, actual) => checked(use, actual),
          poolSignal,
        );
        return;
      }
      const key = blobKey(loc, task.sha256);
      const actual = await withRetry(
        async () => {
          const response = await clients.s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }), {
            abortSignal: poolSignal,
          });
          const hash = createHash('sha256');
          for await (const chunk of response.Body as Readable) {
            hash.update(chunk as Buffer);
            readBytes += (chunk as Buffer).length;
          }
          return hash.digest('hex');
        },
        { signal: poolSignal },
      ).catch((err: unknown) => {
        throw fromAwsError(err, { doing: `read ${key}`, bucket: loc.bucket });
      });
      checked(task, actual);
    },
    signal,
  );
  const recording =
    input.record === false
      ? { recorded: [] }
      : await recordDamage(
          clients.s3,
          loc,
          findingsOf(problems, (kind, id) => (kind === 'blob' ? stored : packs)?.get(id)?.etag),
          { foundBy: 'verify', snapshotId, storage: input.storage },
          signal,
        );
  return {
    source: loc.source,
    snapshotId,
    ok: problems.length === 0,
    files: files.length,
    blobs: blobs.size,
    trees: trees.size,
    readBlobs: toRead.length,
    readBytes,
    archivedNotRead,
    problems,
    recording,
    durationMs: Date.now() - started,
  };
}

/** One finding per damaged object (a pack holds many blobs) among the new problems. */
function findingsOf(
  problems: BlobProblem[],
  etagOf: (kind: DamagedKind, id: string) => string | undefined,
): DamageFinding[] {
  const findings = new Map<string, DamageFinding>();
  for (const p of problems) {
    if (p.problem === 'known-damaged') continue;
    const kind: DamagedKind = p.pack === undefined ? 'blob' : 'pack';
    const id = p.pack ?? p.sha256;
    const found = findings.get(`${kind}:${id}`);
    if (found) found.paths.push(...p.paths);
    else
      findings.set(`${kind}:${id}`, {
        kind,
        id,
        etag: etagOf(kind, id) ?? MISSING_OBJECT,
        problem: p.problem,
        ...(p.detail ? { detail: p.detail } : {}),
        paths: [...p.paths],
      });
  }
  return [...findings.values()];
}
