import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DeleteObjectCommand, PutObjectCommand, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { type StorageOptions } from '../backup';
import { ColdkeepError, fromAwsError } from '../errors';
import { listObjects } from './blobStore';
import { locksDir, type SourceLocation } from './layout';

export type LockKind = 'backup' | 'prune';

/** A lock nobody has refreshed for this long belongs to a process that died: it is ignored. */
export const DEFAULT_LOCK_STALE_MS = 30 * 60_000;

export interface LockOptions {
  staleMs?: number;
  /** Only SSE of the storage options applies: a lock must stay deletable (no Object Lock). */
  storage?: StorageOptions;
  signal?: AbortSignal;
}

export interface HeldLock<T = undefined> {
  /** What `alongside` returned. */
  alongside: T;
  key: string;
  /** Locks of other runs that were ignored because they are stale. */
  staleIgnored: string[];
  release(): Promise<void>;
}

/** What each kind of run may not overlap with: prune deletes blobs a backup may be counting on. */
const CONFLICTS: Record<LockKind, LockKind[]> = { backup: ['prune'], prune: ['backup', 'prune'] };

/**
 * A lock object in S3, `<source>/locks/<kind>-<id>.json`, rewritten every staleMs/3 while held.
 * Put first, then list: if a live conflicting lock is there, ours is removed and the run
 * refused. Two runs that start together both see each other and both back off, which is safe.
 * Staleness is judged on S3's LastModified times (ours against theirs), so clocks of different
 * machines do not matter.
 */
export async function acquireSourceLock<T = undefined>(
  s3: S3Client,
  loc: SourceLocation,
  kind: LockKind,
  options: LockOptions & {
    /** Work to run while the locks are checked, once ours is written (saves a round trip). */
    alongside?: () => Promise<T>;
  } = {},
): Promise<HeldLock<T>> {
  const staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const key = `${locksDir(loc)}${kind}-${id}.json`;
  const sse = options.storage?.sse;
  const body = JSON.stringify({ kind, host: hostname(), pid: process.pid, createdAt: new Date().toISOString() });
  const write = (): Promise<unknown> =>
    s3
      .send(
        new PutObjectCommand({
          Bucket: loc.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          ...(sse ? { ServerSideEncryption: sse.type } : {}),
          ...(sse?.type === 'aws:kms' && sse.kmsKeyId ? { SSEKMSKeyId: sse.kmsKeyId } : {}),
        }),
        { abortSignal: options.signal },
      )
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: `write the ${kind} lock of source ${loc.source}`, bucket: loc.bucket });
      });
  const remove = async (): Promise<void> => {
    await s3.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: key })).catch(() => undefined);
  };

  await write();
  const listLocks = async (): Promise<_Object[]> => {
    const found: _Object[] = [];
    for await (const o of listObjects(s3, loc.bucket, locksDir(loc), options.signal)) found.push(o);
    return found;
  };
  const [listed, alongside] = await Promise.allSettled([listLocks(), options.alongside?.()]);
  if (listed.status === 'rejected' || alongside.status === 'rejected') {
    await remove();
    throw listed.status === 'rejected' ? listed.reason : (alongside as PromiseRejectedResult).reason;
  }
  const locks = listed.value;
  const ours = locks.find((o) => o.Key === key);
  const now = ours?.LastModified?.getTime() ?? Date.now();
  const staleIgnored: string[] = [];
  for (const other of locks) {
    if (other.Key === key) continue;
    const otherKind = /\/locks\/(backup|prune)-[^/]+\.json$/.exec(other.Key ?? '')?.[1] as LockKind | undefined;
    if (!otherKind || !CONFLICTS[kind].includes(otherKind)) continue;
    const age = now - (other.LastModified?.getTime() ?? 0);
    if (age > staleMs) {
      staleIgnored.push(other.Key!);
      continue;
    }
    await remove();
    throw new ColdkeepError(
      'SourceLocked',
      `Source "${loc.source}" is busy: a ${otherKind} is running (lock ${other.Key}, refreshed ${Math.round(age / 1000)} s ago).`,
      {
        hint:
          kind === 'prune'
            ? 'Run prune when the backup has finished. A lock not refreshed for ' +
              `${Math.round(staleMs / 60_000)} minutes is stale and ignored (its process died).`
            : 'Run the backup again when the prune has finished.',
        details: { lock: other.Key, kind: otherKind },
      },
    );
  }

  const timer = setInterval(() => void write().catch(() => undefined), Math.max(1000, staleMs / 3));
  timer.unref();
  return {
    alongside: alongside.value as T,
    key,
    staleIgnored,
    release: async () => {
      clearInterval(timer);
      await remove();
    },
  };
}
