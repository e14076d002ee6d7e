import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { runPool } from '../../base/jobs/pool';
import { listObjects } from '../../storage/objectListing';
import { packIdOfIndex, packIndexDir, packIndexKey, type SourceLocation } from './layout';
import { isSealed, type ObjectCodec, PLAIN_CODEC } from './objectCodec';

export const PACK_INDEX_FORMAT = 'coldkeep.pack-index';

/** Where a blob sits when it is packed: the same fields a snapshot's file entry carries. */
export interface PackedBlobRef {
  pack: string;
  packOffset: number;
  /** Format 3: the bytes of its sealed slice. */
  storedSize?: number;
}

const packIndexSchema = z.object({
  format: z.literal(PACK_INDEX_FORMAT),
  formatVersion: z.literal(1),
  packId: z.string(),
  /** Size and SHA-256 of the whole pack object. */
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** [sha256, offset, length] of every blob in the pack, in pack order (format 3: the sealed slice's length). */
  blobs: z.array(z.tuple([z.string().regex(/^[0-9a-f]{64}$/), z.number().int(), z.number().int()])),
});

export type PackIndex = z.infer<typeof packIndexSchema>;

export async function encodePackIndex(index: PackIndex, codec: ObjectCodec = PLAIN_CODEC): Promise<Buffer> {
  return codec.seal('pack-index', await promisify(gzip)(Buffer.from(JSON.stringify(index))), { compress: false });
}

/**
 * A pack index, or undefined when the object is not one (a damaged index only costs dedup), or
 * not of the codec's kind: a plain index names plain packs, which an encrypted backup never
 * reuses, and a sealed one is nothing to a plain backup.
 */
export async function decodePackIndex(
  body: Uint8Array,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<PackIndex | undefined> {
  try {
    if (isSealed(body) !== codec.sealed) return undefined;
    const gz = codec.open('pack-index', body, 'pack index');
    const parsed = packIndexSchema.safeParse(JSON.parse((await promisify(gunzip)(gz)).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The ids of the packs that have an index object (ids after `after` only, when given), in id order. */
export async function listPackIndexIds(
  s3: S3Client,
  loc: SourceLocation,
  after: string | undefined,
  signal?: AbortSignal,
): Promise<string[]> {
  const dir = packIndexDir(loc);
  const ids: string[] = [];
  for await (const o of listObjects(s3, loc.bucket, dir, signal, after ? `${dir}${after}` : undefined)) {
    const id = packIdOfIndex(o.Key ?? '');
    if (id) ids.push(id);
  }
  return ids;
}

/**
 * The packed blobs the pack indexes of a source name, blob name (codec.blobName) → place. With `after` (an id, or
 * the start of one), only packs whose ids sort after it: ids sort by time, so a backup asks for
 * the packs written since its parent finished — those of a run that was interrupted, whose blobs
 * it reuses instead of uploading again.
 */
export async function readPackIndexes(
  s3: S3Client,
  loc: SourceLocation,
  after: string | undefined,
  signal?: AbortSignal,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<Map<string, PackedBlobRef>> {
  const ids = await listPackIndexIds(s3, loc, after, signal);
  const places = new Map<string, PackedBlobRef>();
  await runPool(
    ids,
    8,
    async (packId, poolSignal) => {
      const key = packIndexKey(loc, packId);
      const body = await withRetry(
        async () => {
          const response = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }), {
            abortSignal: poolSignal,
          });
          return response.Body!.transformToByteArray();
        },
        { signal: poolSignal },
      ).catch((err: unknown) => {
        throw fromAwsError(err, { doing: `read pack index ${key}`, bucket: loc.bucket });
      });
      const index = await decodePackIndex(body, codec);
      if (index?.packId !== packId) return;
      for (const [sha256, packOffset, length] of index.blobs)
        places.set(
          codec.blobName(sha256),
          codec.sealed ? { pack: packId, packOffset, storedSize: length } : { pack: packId, packOffset },
        );
    },
    signal,
  );
  return places;
}
