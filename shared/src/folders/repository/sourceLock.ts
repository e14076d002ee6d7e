import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { type StorageOptions } from '../../storage/storageOptions';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { type BackoffPolicy, withRetry } from '../../base/jobs/backoff';
import { ownerState, type OwnerState, type ProcessOwner, thisProcess } from '../../base/jobs/processOwner';
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

/** What a lock object says about the run that holds it. */
export interface SourceLockInfo {
  key: string;
  kind: LockKind;
  /** The process that wrote it; absent when its body cannot be read (it is still a lock). */
  owner?: ProcessOwner;
  createdAt?: string;
  /** When it was last written (S3's LastModified): the holder rewrites it every staleMs/3. */
  refreshedAt?: string;
  /** From this host: `alive` or `gone` (no such process, or its pid now belongs to a later one); else `unknown`. */
  state: OwnerState;
}

/** Removing our own lock outlives a short S3 outage: about half a minute of tries before giving up. */
const RELEASE_RETRY: BackoffPolicy = { baseMs: 500, maxMs: 5000, maxAttempts: 12 };

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
  const body = JSON.stringify({ kind, ...thisProcess(), createdAt: new Date().toISOString() });
  let released = false;
  let refreshing: Promise<unknown> = Promise.resolve();
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
  // Every way out that leaves the process alive removes the lock: failures, cancels (no signal
  // here on purpose) and S3 errors, which are retried for a while. A lock that still cannot be
  // removed is named by the next refusal and cleared with "coldkeep files unlock".
  const remove = async (): Promise<void> => {
    await withRetry(() => s3.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: key })), {
      policy: RELEASE_RETRY,
      retryable: () => true,
    }).catch(() => undefined);
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
    const info = await readLockInfo(s3, loc, other).catch(() => ({
      key: other.Key!,
      kind: otherKind,
      state: 'unknown' as const,
    }));
    await remove();
    throw lockedError(loc, kind, info, now, staleMs);
  }

  const timer = setInterval(
    () => {
      if (!released) refreshing = write().catch(() => undefined);
    },
    Math.max(1000, staleMs / 3),
  );
  timer.unref();
  return {
    alongside: alongside.value as T,
    key,
    staleIgnored,
    release: async () => {
      // A refresh still in flight would write the lock again after it was deleted.
      released = true;
      clearInterval(timer);
      await refreshing;
      await remove();
    },
  };
}

/** The refusal: who holds the lock (host, pid), how old it is, and how to clear it when its process is gone. */
function lockedError(
  loc: SourceLocation,
  kind: LockKind,
  other: SourceLockInfo,
  now: number,
  staleMs: number,
): ColdkeepError {
  const age = (iso: string | undefined) =>
    iso ? `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s ago` : 'at an unknown time';
  const who = other.owner ? `pid ${other.owner.pid} on ${other.owner.host}` : 'an unknown process';
  const unlock = `coldkeep files unlock ${loc.source}`;
  const hint =
    other.state === 'gone'
      ? `That process is no longer running on this host: remove its lock with "${unlock}", then run again.`
      : (kind === 'prune'
          ? 'Run prune when the backup has finished.'
          : 'Run the backup again when the prune has finished.') +
        ` A lock not refreshed for ${Math.round(staleMs / 60_000)} minutes is stale and ignored. If that process is` +
        ` surely not running, "${unlock} --force" removes the lock.`;
  return new ColdkeepError(
    'SourceLocked',
    `Source "${loc.source}" is busy: a ${other.kind} is running (${who}, started ${age(other.createdAt)}, ` +
      `lock refreshed ${age(other.refreshedAt)}${other.state === 'gone' ? '; that process is gone' : ''}).`,
    {
      hint,
      details: {
        lock: other.key,
        kind: other.kind,
        ...(other.owner ? { host: other.owner.host, pid: other.owner.pid } : {}),
        ...(other.createdAt ? { createdAt: other.createdAt } : {}),
        state: other.state,
      },
    },
  );
}

/** Reads one lock object: its kind from the key, its holder from the body. */
async function readLockInfo(
  s3: S3Client,
  loc: SourceLocation,
  object: _Object,
  signal?: AbortSignal,
): Promise<SourceLockInfo> {
  const key = object.Key!;
  const kind = /\/locks\/(backup|prune)-[^/]+\.json$/.exec(key)?.[1] as LockKind;
  const refreshedAt = object.LastModified?.toISOString();
  let body: { host?: unknown; pid?: unknown; processStart?: unknown; createdAt?: unknown } = {};
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }), { abortSignal: signal });
    body = JSON.parse(await answer.Body!.transformToString()) as typeof body;
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') throw err; // removed meanwhile
  }
  const owner: ProcessOwner | undefined =
    typeof body.host === 'string' && typeof body.pid === 'number'
      ? {
          host: body.host,
          pid: body.pid,
          ...(typeof body.processStart === 'string' ? { processStart: body.processStart } : {}),
        }
      : undefined;
  return {
    key,
    kind,
    ...(owner ? { owner } : {}),
    ...(typeof body.createdAt === 'string' ? { createdAt: body.createdAt } : {}),
    ...(refreshedAt ? { refreshedAt } : {}),
    state: owner ? ownerState(owner) : 'unknown',
  };
}

/** Every lock of a source, with what its body says about its holder. */
export async function listSourceLocks(
  s3: S3Client,
  loc: SourceLocation,
  signal?: AbortSignal,
): Promise<SourceLockInfo[]> {
  const found: SourceLockInfo[] = [];
  for await (const o of listObjects(s3, loc.bucket, locksDir(loc), signal)) {
    if (!/\/locks\/(backup|prune)-[^/]+\.json$/.test(o.Key ?? '')) continue;
    try {
      found.push(await readLockInfo(s3, loc, o, signal));
    } catch (err) {
      if ((err as { name?: string }).name !== 'NoSuchKey') throw err;
    }
  }
  return found;
}

export interface UnlockReport {
  source: string;
  /** Locks removed: their process is gone from this host, or any lock with `force`. */
  removed: SourceLockInfo[];
  /** Locks left: alive on this host, or held from another host (nothing can be checked from here). */
  kept: SourceLockInfo[];
}

/**
 * Removes a source's locks whose process is gone: written on this host by a pid that no longer
 * runs (or that now belongs to a process started later). With `force`, every lock. Never waits
 * for a lock to go stale.
 */
export async function unlockSource(
  s3: S3Client,
  loc: SourceLocation,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<UnlockReport> {
  const locks = await listSourceLocks(s3, loc, options.signal);
  const removed: SourceLockInfo[] = [];
  const kept: SourceLockInfo[] = [];
  for (const lock of locks) {
    if (lock.state !== 'gone' && !options.force) {
      kept.push(lock);
      continue;
    }
    await s3
      .send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: lock.key }), { abortSignal: options.signal })
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: `remove the lock ${lock.key}`, bucket: loc.bucket });
      });
    removed.push(lock);
  }
  return { source: loc.source, removed, kept };
}
