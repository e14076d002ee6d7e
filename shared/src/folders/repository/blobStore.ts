import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { newBackupId } from '../../storage/backupId';
import { objectUpload } from '../../storage/objectUpload';
import { lifecycleTags, objectParams, type StorageOptions } from '../../storage/storageOptions';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { DamagedObjects, etagToken } from './damageRecords';
import { listObjects } from '../../storage/objectListing';
import { blobHashOf, blobKey, blobsDir, packIdOf, packsDir, type SourceLocation } from './layout';
import { type ObjectCodec, PLAIN_CODEC } from './objectCodec';
import { readPackIndexes } from './packIndex';
import { PackWriter } from './packWriter';

// The catalog and the other jobs take the listing from here.
export { listObjects } from '../../storage/objectListing';

/** An object of the store (a blob or a pack), as the listing shows it. */
export interface StoredObject {
  key: string;
  size: number;
  storageClass: string;
  /** The ETag as a key-safe token (damage records name the ETag of the object found damaged). */
  etag: string;
}

/** The objects under `dir` whose key `idOf` names, by that id. */
async function listStored(
  s3: S3Client,
  bucket: string,
  dir: string,
  idOf: (key: string) => string | undefined,
  signal?: AbortSignal,
): Promise<Map<string, StoredObject>> {
  const stored = new Map<string, StoredObject>();
  for await (const o of listObjects(s3, bucket, dir, signal)) {
    const id = idOf(o.Key ?? '');
    if (id)
      stored.set(id, {
        key: o.Key!,
        size: o.Size ?? 0,
        storageClass: o.StorageClass ?? 'STANDARD',
        etag: etagToken(o.ETag),
      });
  }
  return stored;
}

/** The blobs stored for a source, by SHA-256, from the listing. */
export function listBlobs(s3: S3Client, loc: SourceLocation, signal?: AbortSignal): Promise<Map<string, StoredObject>> {
  return listStored(s3, loc.bucket, blobsDir(loc), blobHashOf, signal);
}

/** The packs stored for a source, by pack id, from the listing. */
export function listPacks(s3: S3Client, loc: SourceLocation, signal?: AbortSignal): Promise<Map<string, StoredObject>> {
  return listStored(s3, loc.bucket, packsDir(loc), packIdOf, signal);
}

/**
 * The blobs a backup may take as stored, by blob name (`codec.blobName`: the SHA-256 in a plain
 * source, a keyed hash in an encrypted one), and where. With a parent: its files' blobs where its
 * entries place them (a prune cannot remove them while the backup holds its lock), plus the
 * packs indexed since the parent finished (a run interrupted since), and `complete` is false (a
 * big file's unknown blob gets a HeadObject). Without one, nothing is taken on trust: the blob
 * listing, and every index whose pack is listed; `complete` is true. Either way a blob or pack
 * that a verify or restore found damaged (`damaged`) is never taken as stored: its content is
 * stored again, a packed blob into a new pack and a blob of its own under its name, anew.
 */
export async function knownBlobs(
  s3: S3Client,
  loc: SourceLocation,
  parentFiles: Iterable<BlobPlace & { sha256: string }>,
  parentFinishedAt: string | undefined,
  signal?: AbortSignal,
  damaged: DamagedObjects = DamagedObjects.none,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<{ known: Map<string, BlobPlace>; complete: boolean }> {
  const known = new Map<string, BlobPlace>();
  // Damage records name a blob by its object name, as the listing does.
  const trusted = (name: string, place: BlobPlace): boolean =>
    !damaged.holdsObject(place.pack === undefined ? { blob: name } : { pack: place.pack });
  if (parentFinishedAt !== undefined) {
    for (const e of parentFiles) {
      const name = codec.blobName(e.sha256);
      if (trusted(name, e)) known.set(name, e);
    }
    const after = newBackupId(new Date(parentFinishedAt), () => Buffer.alloc(0));
    for (const [name, place] of await readPackIndexes(s3, loc, after, signal, codec))
      if (!known.has(name) && trusted(name, place)) known.set(name, place);
    return { known, complete: false };
  }
  const [stored, packs, packed] = await Promise.all([
    listBlobs(s3, loc, signal),
    listPacks(s3, loc, signal),
    readPackIndexes(s3, loc, undefined, signal, codec),
  ]);
  for (const [name, object] of stored) if (trusted(name, OWN_OBJECT)) known.set(name, ownPlace(codec, object.size));
  for (const [name, place] of packed)
    if (!known.has(name) && packs.has(place.pack) && trusted(name, place)) known.set(name, place);
  return { known, complete: true };
}

/** The place of a blob of its own: in format 3 with the size of its sealed object. */
function ownPlace(codec: ObjectCodec, storedSize: number): BlobPlace {
  return codec.sealed ? { storedSize } : OWN_OBJECT;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** A stream tap that hashes what passes and fails the stream at its end if the hash is not `expected`. */
class VerifyingTap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly expected: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest('hex');
    // Failing here, before the last part is handed over, makes lib-storage abort the multipart
    // upload: an object whose content does not match its name is never completed.
    done(actual === this.expected ? null : new FileChangedError(this.expected, actual));
  }
}

export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super('The file changed while it was read.');
  }
}

/**
 * Where a stored blob is: in a pack (`pack`, `packOffset`), or an object of its own under
 * blobs/ (no `pack`). A file entry of a snapshot is itself a BlobPlace, so the parent's entries
 * serve as the places of 100,000s of known blobs without a copy.
 */
export type BlobPlace = Readonly<{ pack?: string; packOffset?: number; storedSize?: number }>;

/** The place of a blob stored as an object of its own. */
export const OWN_OBJECT: BlobPlace = Object.freeze({});

/** The fields a file entry carries for a place. */
export function placeFields(place: BlobPlace): { pack?: string; packOffset?: number; storedSize?: number } {
  const stored = place.storedSize === undefined ? {} : { storedSize: place.storedSize };
  return place.pack === undefined ? stored : { pack: place.pack, packOffset: place.packOffset, ...stored };
}

export interface BlobStoreOptions {
  s3: S3Client;
  location: SourceLocation;
  storage: StorageOptions;
  partSize: number;
  /** Target size of a pack of small blobs. */
  packSize: number;
  /** Blobs known to exist (from the parent snapshot, pack indexes or a listing), and where. */
  known: Map<string, BlobPlace>;
  /** True when `known` is the full listing, so an unknown blob is missing without asking S3. */
  complete: boolean;
  /** Objects found damaged: a blob of its own among them is stored again even though it exists. */
  damaged?: DamagedObjects;
  /** The job's signal, for the pack uploads that outlive one file's task. */
  signal?: AbortSignal;
  /** The job's clock: pack ids sort by time with the snapshot ids. */
  now?: () => Date;
  /** Format 3: blobs sealed and named by a keyed hash. */
  codec?: ObjectCodec;
}

/**
 * The content-addressed blobs of one source. A blob is stored once: known blobs (from the
 * parent snapshot, pack indexes or a listing) are reused wherever they are, small new ones go
 * into packs, big new ones become objects of their own (checked with HeadObject first when the
 * listing was not read), and two files with the same content in one run share one copy.
 */
export class BlobStore {
  private ownUploads = 0;
  private ownBytes = 0;
  private readonly inFlight = new Map<string, Promise<BlobPlace>>();
  private readonly tagging: string | undefined;
  private readonly packs: PackWriter;
  private readonly codec: ObjectCodec;

  constructor(private readonly options: BlobStoreOptions) {
    this.codec = options.codec ?? PLAIN_CODEC;
    const tags = lifecycleTags(options.storage);
    this.tagging = tags.length
      ? new URLSearchParams(tags.map((t): [string, string] => [t.Key!, t.Value ?? ''])).toString()
      : undefined;
    this.packs = new PackWriter({
      s3: options.s3,
      location: options.location,
      storage: options.storage,
      tagging: this.tagging,
      packSize: options.packSize,
      signal: options.signal,
      now: options.now,
      codec: this.codec,
    });
  }

  /** Blobs stored by this run (packed or not), counted once their upload completed. */
  get uploadedBlobs(): number {
    return this.ownUploads + this.packs.uploadedBlobs;
  }

  get uploadedBytes(): number {
    return this.ownBytes + this.packs.uploadedBytes;
  }

  get uploadedPacks(): number {
    return this.packs.uploadedPacks;
  }

  keyOf(sha256: string): string {
    return blobKey(this.options.location, this.codec.blobName(sha256));
  }

  /** Stores a small blob in a pack unless it is known; resolves to where it is. */
  async storeSmall(sha256: string, body: Buffer): Promise<BlobPlace> {
    const { known } = this.options;
    const name = this.codec.blobName(sha256);
    if (known.has(name)) return known.get(name)!;
    const running = this.inFlight.get(name);
    if (running) return running;
    const place = this.packs.append(sha256, body);
    known.set(name, place);
    await this.packs.drain();
    return place;
  }

  /** Uploads the last pack and waits for all pack uploads; a snapshot may name them after. */
  flush(): Promise<void> {
    return this.packs.flush();
  }

  /** Waits for the pack uploads under way, whatever their outcome (a failed job ends after them). */
  settle(): Promise<void> {
    return this.packs.settle();
  }

  /**
   * Makes sure a blob exists as an object of its own, calling `upload` if it is stored nowhere
   * (once per hash in a run). Resolves to where it is.
   */
  async ensure(sha256: string, upload: () => Promise<number>, signal?: AbortSignal): Promise<BlobPlace> {
    const { known } = this.options;
    const name = this.codec.blobName(sha256);
    if (known.has(name)) return known.get(name)!;
    const running = this.inFlight.get(name);
    if (running) return running;
    const work = (async (): Promise<BlobPlace> => {
      const found = this.options.complete ? undefined : await this.exists(sha256, signal);
      return ownPlace(this.codec, found ?? (await upload()));
    })();
    this.inFlight.set(name, work);
    try {
      const place = await work;
      known.set(name, place);
      return place;
    } finally {
      this.inFlight.delete(name);
    }
  }

  /** The size of the blob's object, or undefined when it is not stored (or was found damaged). */
  private async exists(sha256: string, signal?: AbortSignal): Promise<number | undefined> {
    const { s3, location, damaged } = this.options;
    if (damaged?.holdsObject({ blob: this.codec.blobName(sha256) })) return undefined;
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: this.keyOf(sha256) }), {
        abortSignal: signal,
      });
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw fromAwsError(err, { doing: `check blob ${sha256}`, bucket: location.bucket });
    }
  }

  /**
   * One request: the lifecycle tag goes in the Tagging header, and the SHA-256 of what is sent
   * as the checksum. Resolves to the bytes stored.
   */
  async putBuffer(sha256: string, content: Buffer, signal?: AbortSignal): Promise<number> {
    const { s3, location, storage } = this.options;
    const params = objectParams(storage);
    const body = this.codec.sealed ? this.codec.seal('blob', content) : content;
    const checksum = this.codec.sealed ? createHash('sha256').update(body).digest('hex') : sha256;
    await withRetry(
      () =>
        s3.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: this.keyOf(sha256),
            Body: body,
            ContentLength: body.length,
            ContentType: 'application/octet-stream',
            ...params,
            ...(params.ChecksumAlgorithm ? { ChecksumSHA256: Buffer.from(checksum, 'hex').toString('base64') } : {}),
            ...(this.tagging ? { Tagging: this.tagging } : {}),
          }),
          { abortSignal: signal },
        ),
      { signal },
    ).catch((err: unknown) => {
      throw fromAwsError(err, { doing: `upload blob ${sha256}`, bucket: location.bucket });
    });
    this.ownUploads++;
    this.ownBytes += body.length;
    return body.length;
  }

  /**
   * Streams a big file to its blob, multipart. The stream is hashed again on the way: if the
   * file changed since it was hashed, the upload is aborted and FileChangedError thrown. In
   * format 3 the stream is sealed after the tap (frames of 1 MiB). Resolves to the bytes stored.
   */
  async putFile(sha256: string, absPath: string, signal?: AbortSignal): Promise<number> {
    const { s3, location, storage, partSize } = this.options;
    const tap = new VerifyingTap(sha256);
    const source = createReadStream(absPath);
    source.on('error', (err) => tap.destroy(err));
    source.pipe(tap);
    let stored = 0;
    let body: Transform = tap;
    if (this.codec.sealed) {
      const sealing = this.codec.sealStream('blob');
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          stored += chunk.length;
          done(null, chunk);
        },
      });
      tap.on('error', (err) => sealing.destroy(err));
      sealing.on('error', (err) => counter.destroy(err));
      body = tap.pipe(sealing).pipe(counter);
    }
    const upload = objectUpload({
      s3,
      bucket: location.bucket,
      key: this.keyOf(sha256),
      body,
      contentType: 'application/octet-stream',
      storage,
      partSize,
    });
    const onAbort = (): void => {
      tap.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (body !== tap) body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } catch (err) {
      if (tap.errored instanceof FileChangedError) throw tap.errored;
      if (err instanceof FileChangedError || err instanceof ColdkeepError) throw err;
      throw fromAwsError(err, { doing: `upload blob ${sha256}`, bucket: location.bucket });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      source.destroy();
    }
    this.ownUploads++;
    const bytes = body === tap ? tap.bytes : stored;
    this.ownBytes += bytes;
    return bytes;
  }
}
