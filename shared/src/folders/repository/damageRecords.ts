import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type StorageOptions } from '../../storage/storageOptions';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import { listObjects } from '../../storage/objectListing';
import { blobHashOf, blobKey, damagedDir, packIdOf, packKey, type SourceLocation } from './layout';
import { type ObjectCodec, PLAIN_CODEC } from './objectCodec';

/**
 * Damage records: what a verify or a restore found damaged or missing, so that no later backup
 * points a file at it. One small object per damaged object, whose key says everything a backup
 * needs (one listing, no downloads):
 *
 *   <source>/damaged/<blob|pack>.<sha256 or pack id>.<etag>.json
 *
 * `etag` is the damaged object's ETag when it was found (`missing` when it was not there). A
 * record applies while the object is as it was found: the same ETag, or absent. An object
 * written again since (a backup that stored the content anew under the blob's name, or a copy
 * put back by hand) has another ETag, and the record no longer applies; prune deletes such
 * records, and those of objects it deletes. The body (JSON) says for people what was found,
 * when, by which command and for which files.
 */
export type DamagedKind = 'blob' | 'pack';

/** The `etag` of a record for an object that was missing. */
export const MISSING_OBJECT = 'missing';

export const DAMAGE_RECORD_FORMAT = 'coldkeep.damage-record';

export interface DamageRecordRef {
  /** The record's own key. */
  key: string;
  kind: DamagedKind;
  /** The blob's SHA-256, or the pack id. */
  id: string;
  /** The object's ETag (as a key-safe token) when the damage was found, or MISSING_OBJECT. */
  etag: string;
  /** When the record was written (its LastModified). */
  recordedAt?: string;
}

/** An ETag as a key-safe token: no quotes, only letters, digits and "-". */
export function etagToken(etag: string | undefined): string {
  const token = (etag ?? '').replace(/"/g, '').replace(/[^0-9A-Za-z-]/g, '-');
  return token || 'none';
}

export function damageRecordKey(loc: SourceLocation, kind: DamagedKind, id: string, etag: string): string {
  return `${damagedDir(loc)}${kind}.${id}.${etag}.json`;
}

export function parseDamageRecordKey(key: string): Omit<DamageRecordRef, 'recordedAt'> | undefined {
  const m = /\/damaged\/(blob|pack)\.([0-9A-Za-z-]+)\.([0-9A-Za-z-]+)\.json$/.exec(key);
  return m ? { key, kind: m[1] as DamagedKind, id: m[2]!, etag: m[3]! } : undefined;
}

/** The object a damaged blob or pack is. */
export function damagedObjectKey(loc: SourceLocation, kind: DamagedKind, id: string): string {
  return kind === 'blob' ? blobKey(loc, id) : packKey(loc, id);
}

/** What a key of the store is: a blob of its own or a pack (undefined for anything else). */
export function storeObjectOf(key: string): { kind: DamagedKind; id: string } | undefined {
  const sha = blobHashOf(key);
  if (sha) return { kind: 'blob', id: sha };
  const pack = packIdOf(key);
  return pack ? { kind: 'pack', id: pack } : undefined;
}

/** The damage records of a source: one listing (usually empty). */
export async function listDamageRecords(
  s3: S3Client,
  loc: SourceLocation,
  signal?: AbortSignal,
): Promise<DamageRecordRef[]> {
  const records: DamageRecordRef[] = [];
  for await (const o of listObjects(s3, loc.bucket, damagedDir(loc), signal)) {
    const ref = parseDamageRecordKey(o.Key ?? '');
    if (ref) records.push({ ...ref, ...(o.LastModified ? { recordedAt: o.LastModified.toISOString() } : {}) });
  }
  return records;
}

/** Whether a record still describes its object, given the object's ETag token now (undefined: absent). */
export function recordApplies(record: DamageRecordRef, current: string | undefined): boolean {
  return current === undefined || (record.etag !== MISSING_OBJECT && current === record.etag);
}

/** The blobs and packs that are damaged or missing now, as the records say. */
export class DamagedObjects {
  static readonly none = new DamagedObjects([]);
  readonly blobs = new Map<string, DamageRecordRef>();
  readonly packs = new Map<string, DamageRecordRef>();

  /**
   * `blobName` turns a place's SHA-256 into the blob's object name, which records carry (the
   * same in a plain source; a keyed hash in an encrypted one). Callers that already hold a name
   * pass it as `sha256` with PLAIN_CODEC's identity.
   */
  constructor(
    live: Iterable<DamageRecordRef>,
    private readonly codec: ObjectCodec = PLAIN_CODEC,
  ) {
    for (const r of live) (r.kind === 'blob' ? this.blobs : this.packs).set(r.id, r);
  }

  /** The same records, for places named by SHA-256 under `codec`. */
  withCodec(codec: ObjectCodec): DamagedObjects {
    return this.size === 0 ? this : new DamagedObjects([...this.blobs.values(), ...this.packs.values()], codec);
  }

  get size(): number {
    return this.blobs.size + this.packs.size;
  }

  /** The record of the object a file's blob is in, if it is damaged. */
  recordOf(place: { sha256: string; pack?: string }): DamageRecordRef | undefined {
    return place.pack === undefined ? this.blobs.get(this.codec.blobName(place.sha256)) : this.packs.get(place.pack);
  }

  holds(place: { sha256: string; pack?: string }): boolean {
    return this.size > 0 && this.recordOf(place) !== undefined;
  }

  /** Whether the object itself is damaged: a blob by its object name, or a pack. */
  holdsObject(object: { blob: string } | { pack: string }): boolean {
    return this.size > 0 && ('pack' in object ? this.packs.has(object.pack) : this.blobs.has(object.blob));
  }
}

/**
 * The records that still apply, judged by `current` (the object's ETag token now, undefined
 * when absent). Of several records of one object, one that applies is enough.
 */
export function liveDamage(
  records: DamageRecordRef[],
  current: (kind: DamagedKind, id: string) => string | undefined,
): DamagedObjects {
  return new DamagedObjects(records.filter((r) => recordApplies(r, current(r.kind, r.id))));
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** An object's ETag token now, or undefined when it does not exist (one HeadObject). */
export async function currentEtag(
  s3: S3Client,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return etagToken(head.ETag);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw fromAwsError(err, { doing: `check ${key}`, bucket });
  }
}

/**
 * What a backup must not trust: the records' listing, then a HeadObject per recorded object
 * (none when nothing was ever found damaged) to see whether it is still the object found damaged.
 */
export async function damageForBackup(
  s3: S3Client,
  loc: SourceLocation,
  signal?: AbortSignal,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<DamagedObjects> {
  const records = await listDamageRecords(s3, loc, signal);
  if (records.length === 0) return DamagedObjects.none;
  const objects = [...new Map(records.map((r) => [`${r.kind}:${r.id}`, r])).values()];
  const etags = new Map<string, string | undefined>();
  await runPool(
    objects,
    8,
    async (r, poolSignal) => {
      etags.set(
        `${r.kind}:${r.id}`,
        await currentEtag(s3, loc.bucket, damagedObjectKey(loc, r.kind, r.id), poolSignal),
      );
    },
    signal,
  );
  return liveDamage(records, (kind, id) => etags.get(`${kind}:${id}`)).withCodec(codec);
}

/** One damaged or missing object, as a verify or a restore found it. */
export interface DamageFinding {
  kind: DamagedKind;
  id: string;
  /** The object's ETag token when it was found, or MISSING_OBJECT. */
  etag: string;
  problem: string;
  detail?: string;
  /** Files of the snapshot that need it (first 100 are kept). */
  paths: string[];
}

export interface DamageRecording {
  /** Keys of the records written. */
  recorded: string[];
  /** Why some could not be written (e.g. no s3:PutObject): the damage is still reported, not recorded. */
  error?: string;
}

/**
 * Writes a record per finding (never under Object Lock: prune must be able to remove it). A
 * failure to write is returned, not thrown: the finding itself must still reach the user.
 */
export async function recordDamage(
  s3: S3Client,
  loc: SourceLocation,
  findings: DamageFinding[],
  context: {
    foundBy: 'verify' | 'restore';
    snapshotId: string;
    storage?: StorageOptions;
    now?: Date;
    /** An encrypted snapshot: file names stay out of the record (it is stored in the clear). */
    withoutPaths?: boolean;
  },
  signal?: AbortSignal,
): Promise<DamageRecording> {
  const recorded: string[] = [];
  let error: string | undefined;
  const foundAt = (context.now ?? new Date()).toISOString();
  const sse = context.storage?.sse;
  await runPool(
    findings,
    8,
    async (f, poolSignal) => {
      const key = damageRecordKey(loc, f.kind, f.id, f.etag);
      const body = JSON.stringify({
        format: DAMAGE_RECORD_FORMAT,
        formatVersion: 1,
        source: loc.source,
        kind: f.kind,
        id: f.id,
        objectKey: damagedObjectKey(loc, f.kind, f.id),
        etag: f.etag,
        problem: f.problem,
        ...(f.detail ? { detail: f.detail } : {}),
        foundBy: context.foundBy,
        snapshotId: context.snapshotId,
        foundAt,
        ...(context.withoutPaths ? {} : { paths: f.paths.slice(0, 100) }),
      });
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: loc.bucket,
            Key: key,
            Body: body,
            ContentType: 'application/json',
            ...(sse ? { ServerSideEncryption: sse.type } : {}),
            ...(sse?.type === 'aws:kms' && sse.kmsKeyId ? { SSEKMSKeyId: sse.kmsKeyId } : {}),
          }),
          { abortSignal: poolSignal },
        );
        recorded.push(key);
      } catch (err) {
        throwIfAborted(poolSignal);
        const why = fromAwsError(err, { doing: `record the damage of ${f.kind} ${f.id}`, bucket: loc.bucket });
        error ??= why instanceof Error ? why.message : String(why);
      }
    },
    signal,
  );
  return { recorded: recorded.sort(), ...(error ? { error } : {}) };
}
