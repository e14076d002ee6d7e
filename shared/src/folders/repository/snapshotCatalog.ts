import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
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
import { isSealed, type ObjectCodec, PLAIN_CODEC } from './objectCodec';
import { decodeSnapshot, SNAPSHOT_FORMAT_VERSION, type SnapshotManifest } from './snapshotManifest';
import { type KeyMaterial, PASSPHRASE_HINT, SourceKeyring } from './sourceKeyring';

export interface SnapshotQuery {
  bucket: string;
  prefix?: string;
  /** One source; every source under the prefix when absent. */
  source?: string;
  /** To show the folder and host of encrypted snapshots (one source only); without it they read "(encrypted)". */
  keys?: KeyMaterial;
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
  /** Format 3: the snapshot is encrypted (its folder and host are sealed too). */
  encrypted?: boolean;
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
  /** Format 3: folder and host, sealed (base64), in place of the two above. */
  sealed: 'coldkeep-sealed',
} as const;

/** Shown for what an encrypted snapshot's metadata seals, when its key was not given. */
export const ENCRYPTED_FIELD = '(encrypted)';

/**
 * Lists folder snapshots, newest first. The snapshot manifests are the catalog; their figures
 * come from the manifests' metadata (one HeadObject each), not from reading them.
 */
export async function listSnapshots(
  clients: Pick<AwsClients, 's3' | 'kms'>,
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
  // Sealed metadata is opened only with the keys of the one source asked for; a key that does
  // not open leaves it "(encrypted)" (listing never fails for want of a key).
  const keyring =
    query.source && query.keys && (query.keys.passphrase || query.keys.askPassphrase)
      ? new SourceKeyring(clients, sourceLocation(query.bucket, prefix, query.source), query.keys, signal)
      : undefined;
  const openSealed = async (value: string): Promise<{ dir: string; host: string } | undefined> => {
    try {
      const codec = await keyring?.codec();
      if (!codec) return undefined;
      return JSON.parse(codec.open('snapshot-meta', Buffer.from(value, 'base64'), 'snapshot metadata').toString()) as {
        dir: string;
        host: string;
      };
    } catch {
      return undefined;
    }
  };
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
      const sealed = m[meta.sealed] !== undefined ? await openSealed(m[meta.sealed]!) : undefined;
      summaries.push({
        source: loc.source,
        snapshotId: id,
        time: (backupIdTime(id) ?? head.LastModified ?? new Date(0)).toISOString(),
        key,
        files: Number(m[meta.files] ?? 0),
        bytes: Number(m[meta.bytes] ?? 0),
        dir: m[meta.sealed] !== undefined ? (sealed?.dir ?? ENCRYPTED_FIELD) : decodeURIComponent(m[meta.dir] ?? ''),
        host: m[meta.sealed] !== undefined ? (sealed?.host ?? ENCRYPTED_FIELD) : decodeURIComponent(m[meta.host] ?? ''),
        manifestBytes: head.ContentLength ?? 0,
        ...(m[meta.sealed] !== undefined ? { encrypted: true } : {}),
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

/**
 * Reads a snapshot manifest. An encrypted one (sealed, format 3) is opened with `keyring`, which
 * asks for the key only then; a plain one (formats 1, 2 and 3) needs none. The two never pass for
 * each other: a sealed object must hold a format 3 manifest saying `encrypted`, and a plain one
 * cannot say it.
 */
export async function readSnapshot(
  s3: S3Client,
  loc: SourceLocation,
  snapshotId: string,
  signal?: AbortSignal,
  keyring?: SourceKeyring,
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
  const where = `s3://${loc.bucket}/${key}`;
  try {
    if (!isSealed(body)) {
      const manifest = await decodeSnapshot(body, where);
      if (manifest.encrypted) {
        throw new ColdkeepError('ManifestInvalid', `The snapshot at ${where} claims to be encrypted but is not.`, {
          hint: 'It was not written by Coldkeep; pick another snapshot.',
        });
      }
      return manifest;
    }
    if (!keyring) {
      throw new ColdkeepError('KeyRequired', `The snapshot at ${where} is encrypted.`, { hint: PASSPHRASE_HINT });
    }
    const codec = await keyring.codec();
    const manifest = await decodeSnapshot(codec.open('snapshot', body, where), where);
    if (
      manifest.formatVersion !== SNAPSHOT_FORMAT_VERSION ||
      manifest.encrypted !== true ||
      manifest.snapshotId !== snapshotId
    ) {
      throw new ColdkeepError('ManifestInvalid', `The encrypted snapshot at ${where} is not snapshot ${snapshotId}.`, {
        hint: 'The object was replaced by another one; pick another snapshot.',
      });
    }
    return manifest;
  } finally {
    releaseBuffer(body);
  }
}

/**
 * Puts a snapshot manifest's gzip JSON (`body`), with `figures` as the object's metadata; with a
 * sealing codec, the body is sealed and so are the folder and host in the metadata.
 */
export async function putSnapshot(
  s3: S3Client,
  loc: SourceLocation,
  figures: Pick<SnapshotManifest, 'snapshotId' | 'files' | 'bytes' | 'dir' | 'host'>,
  body: Buffer,
  storage: StorageOptions,
  signal?: AbortSignal,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<string> {
  const key = snapshotKey(loc, figures.snapshotId);
  const where: Record<string, string> = codec.sealed
    ? {
        [meta.sealed]: codec
          .seal('snapshot-meta', Buffer.from(JSON.stringify({ dir: figures.dir, host: figures.host })))
          .toString('base64'),
      }
    : { [meta.dir]: encodeURIComponent(figures.dir), [meta.host]: encodeURIComponent(figures.host) };
  await s3
    .send(
      new PutObjectCommand({
        Bucket: loc.bucket,
        Key: key,
        Body: codec.seal('snapshot', body, { compress: false }),
        ContentType: codec.sealed ? 'application/octet-stream' : 'application/gzip',
        Metadata: {
          [meta.files]: String(figures.files),
          [meta.bytes]: String(figures.bytes),
          ...where,
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
