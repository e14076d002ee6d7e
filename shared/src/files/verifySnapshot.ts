import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../aws';
import { fromAwsError } from '../errors';
import { type JobOptions, runPool, throwIfAborted, withRetry } from '../jobs';
import { listBlobs } from './blobStore';
import { blobKey, sourceLocation } from './layout';
import { readSnapshot, resolveSnapshotId } from './snapshotCatalog';
import type { FileEntry } from './snapshotManifest';

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
  key: string;
  /** Files of the snapshot that use it (first few). */
  paths: string[];
  problem: 'missing' | 'size-mismatch' | 'hash-mismatch';
  detail?: string;
}

export interface SnapshotVerifyReport {
  source: string;
  snapshotId: string;
  ok: boolean;
  files: number;
  blobs: number;
  /** Blobs re-hashed. */
  readBlobs: number;
  readBytes: number;
  /** Archived blobs that could not be re-hashed without a retrieval. */
  archivedNotRead: number;
  problems: BlobProblem[];
  durationMs: number;
}

const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE']);

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
  const files = manifest.entries.filter((e): e is FileEntry => e.type === 'file');
  const bySha = new Map<string, FileEntry[]>();
  for (const f of files) bySha.set(f.sha256, [...(bySha.get(f.sha256) ?? []), f]);
  const progress: SnapshotVerifyProgress = {
    phase: 'list',
    source: loc.source,
    snapshotId,
    blobs: bySha.size,
    read: 0,
    toRead: 0,
  };
  onProgress?.({ ...progress });

  const stored = await listBlobs(clients.s3, loc, signal);
  const problems: BlobProblem[] = [];
  const problem = (sha256: string, kind: BlobProblem['problem'], detail?: string): void => {
    problems.push({
      sha256,
      key: blobKey(loc, sha256),
      paths: bySha
        .get(sha256)!
        .slice(0, 5)
        .map((f) => f.path),
      problem: kind,
      ...(detail ? { detail } : {}),
    });
  };
  const readable: string[] = [];
  let archivedNotRead = 0;
  for (const [sha, users] of bySha) {
    const blob = stored.get(sha);
    if (!blob) problem(sha, 'missing');
    else if (blob.size !== users[0]!.size)
      problem(sha, 'size-mismatch', `stored ${blob.size} bytes, expected ${users[0]!.size}`);
    else if (ARCHIVED.has(blob.storageClass)) archivedNotRead++;
    else readable.push(sha);
  }

  let toRead: string[] = [];
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
  await runPool(
    toRead,
    input.concurrency ?? 8,
    async (sha, poolSignal) => {
      const key = blobKey(loc, sha);
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
      if (actual !== sha) problem(sha, 'hash-mismatch', `content hashes to ${actual}`);
      progress.read++;
      onProgress?.({ ...progress });
    },
    signal,
  );
  return {
    source: loc.source,
    snapshotId,
    ok: problems.length === 0,
    files: files.length,
    blobs: bySha.size,
    readBlobs: toRead.length,
    readBytes,
    archivedNotRead,
    problems,
    durationMs: Date.now() - started,
  };
}
