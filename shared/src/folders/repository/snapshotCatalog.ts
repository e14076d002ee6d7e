import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { readWholeBody, releaseBuffer } from '../../base/aws/responseBody';
import { backupIdTime } from '../../storage/backupId';
import { normalizePrefix } from '../../storage/bucketKeys';
import { objectParams, type StorageOptions } from '../../storage/storageOptions';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { runPool } from '../../base/jobs/pool';
import { listObjects } from './blobStore';
import { filesRoot, snapshotIdOf, snapshotKey, snapshotsDir, type SourceLocation, sourceLocation } from './layout';
import { decodeSnapshot, type SnapshotManifest } from './snapshotManifest';

export interface SnapshotQuery {
  bucket: string;
  prefix?: string;
  /** One source; every source under the prefix when absent. */
  source?: string;
}

export interface SnapshotSummary {
  source: string;
  snapshotId: string;
  /** When the snapshot started (from its id). */
  time: string;
  key: string;
  files: number;
  bytes: number;
  /** The folder backed up and its host, as recorded. */
  dir: string;
  host: string;
  /** Size of the gzip manifest in S3. */
  manifestBytes: number;
}

/**
 * The sources under a prefix, by skip-scan: one key at a time, each time starting after the last
 * source's keys (which hold only characters below "~"). A Delimiter listing would do it in one
 * request on S3, but s3rver never reports common prefixes more than one level deep.
 */
export async function listSources(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const root = filesRoot(prefix);
  const sources: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: root, MaxKeys: 1, StartAfter: startAfter }), {
        abortSignal: signal,
      })
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: 'list folder sources', bucket });
      });
    const key = page.Contents?.[0]?.Key;
    if (!key) return sources;
    const source = key.slice(root.length).split('/')[0]!;
    sources.push(source);
    startAfter = `${root}${source}/~`;
  }
}

/** The snapshot ids of one source, newest first (ids sort by time). */
export async function snapshotIds(s3: S3Client, loc: SourceLocation, signal?: AbortSignal): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of listObjects(s3, loc.bucket, snapshotsDir(loc), signal)) {
    const id = snapshotIdOf(o.Key ?? '');
    if (id) ids.push(id);
  }
  return ids.sort().reverse();
}

const meta = {
  files: 'coldkeep-files',
  bytes: 'coldkeep-bytes',
  dir: 'coldkeep-dir',
  host: 'coldkeep-host',
} as const;

/**
 * Lists folder snapshots, newest first. The snapshot manifests are the catalog; their figures
 * come from the manifests' metadata (one HeadObject each), not from reading them.
 */
export async function listSnapshots(
  clients: { s3: S3Client },
  query: SnapshotQuery,
  { signal }: { signal?: AbortSignal } = {},
): Promise<SnapshotSummary[]> {
  const prefix = normalizePrefix(query.prefix);
  const sources = query.source ? [query.source] : await listSources(clients.s3, query.bucket, prefix, signal);
  const found: { loc: SourceLocation; id: string }[] = [];
  for (const source of sources) {
    const loc = sourceLocation(query.bucket, prefix, source);
    for (const id of await snapshotIds(clients.s3, loc, signal)) found.push({ loc, id });
  }
  const summaries: SnapshotSummary[] = [];
  await runPool(
    found,
    16,
    async ({ loc, id }) => {
      const key = snapshotKey(loc, id);
      const head = await clients.s3
        .send(new HeadObjectCommand({ Bucket: loc.bucket, Key: key }), { abortSignal: signal })
        .catch((err: unknown) => {
          throw fromAwsError(err, { doing: `read snapshot ${key}`, bucket: loc.bucket });
        });
      const m = head.Metadata ?? {};
      summaries.push({
        source: loc.source,
        snapshotId: id,
        time: (backupIdTime(id) ?? head.LastModified ?? new Date(0)).toISOString(),
        key,
        files: Number(m[meta.files] ?? 0),
        bytes: Number(m[meta.bytes] ?? 0),
        dir: decodeURIComponent(m[meta.dir] ?? ''),
        host: decodeURIComponent(m[meta.host] ?? ''),
        manifestBytes: head.ContentLength ?? 0,
      });
    },
    signal,
  );
  return summaries.sort((a, b) =>
    a.snapshotId === b.snapshotId ? a.source.localeCompare(b.source) : a.snapshotId < b.snapshotId ? 1 : -1,
  );
}

/** Resolves "latest" (or a unique id prefix) to a snapshot id of the source. */
export async function resolveSnapshotId(
  s3: S3Client,
  loc: SourceLocation,
  snapshotId: string,
  signal?: AbortSignal,
): Promise<string> {
  const ids = await snapshotIds(s3, loc, signal);
  if (snapshotId === 'latest') {
    if (!ids[0]) {
      throw new ColdkeepError('SnapshotNotFound', `Source "${loc.source}" has no snapshots in s3://${loc.bucket}.`, {
        hint: 'List them with "coldkeep files snapshots"; check {setting:bucket}, {setting:prefix} and {setting:source}.',
      });
    }
    return ids[0];
  }
  const matches = ids.filter((id) => id === snapshotId || id.startsWith(snapshotId));
  if (matches.length === 1 || matches.includes(snapshotId))
    return matches.includes(snapshotId) ? snapshotId : matches[0]!;
  throw new ColdkeepError(
    'SnapshotNotFound',
    matches.length > 1
      ? `"${snapshotId}" matches ${matches.length} snapshots of source "${loc.source}".`
      : `Source "${loc.source}" has no snapshot "${snapshotId}".`,
    { hint: 'List them with "coldkeep files snapshots --source NAME" and give the whole id, or "latest".' },
  );
}

export async function readSnapshot(
  s3: S3Client,
  loc: SourceLocation,
  snapshotId: string,
  signal?: AbortSignal,
): Promise<SnapshotManifest> {
  const key = snapshotKey(loc, snapshotId);
  const body = await withRetry(
    async () => {
      const response = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }), { abortSignal: signal });
      return readWholeBody(response.Body as AsyncIterable<Uint8Array>, response.ContentLength);
    },
    { signal },
  ).catch((err: unknown) => {
    if ((err as { name?: string }).name === 'NoSuchKey') {
      throw new ColdkeepError('SnapshotNotFound', `Source "${loc.source}" has no snapshot "${snapshotId}".`, {
        hint: 'List them with "coldkeep files snapshots".',
      });
    }
    throw fromAwsError(err, { doing: `read snapshot ${key}`, bucket: loc.bucket });
  });
  try {
    return await decodeSnapshot(body, `s3://${loc.bucket}/${key}`);
  } finally {
    releaseBuffer(body);
  }
}

/** Puts a snapshot manifest's gzip JSON (`body`), with `figures` as the object's metadata. */
export async function putSnapshot(
  s3: S3Client,
  loc: SourceLocation,
  figures: Pick<SnapshotManifest, 'snapshotId' | 'files' | 'bytes' | 'dir' | 'host'>,
  body: Buffer,
  storage: StorageOptions,
  signal?: AbortSignal,
): Promise<string> {
  const key = snapshotKey(loc, figures.snapshotId);
  await s3
    .send(
      new PutObjectCommand({
        Bucket: loc.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/gzip',
        Metadata: {
          [meta.files]: String(figures.files),
          [meta.bytes]: String(figures.bytes),
          [meta.dir]: encodeURIComponent(figures.dir),
          [meta.host]: encodeURIComponent(figures.host),
        },
        ...objectParams(storage),
      }),
      { abortSignal: signal },
    )
    .catch((err: unknown) => {
      throw fromAwsError(err, { doing: 'write the snapshot manifest', bucket: loc.bucket });
    });
  return key;
}
