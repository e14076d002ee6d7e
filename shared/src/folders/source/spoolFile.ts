import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ColdkeepError } from '../../base/errors/ColdkeepError';

/** A still copy of a file that kept changing: the bytes as last read, and their SHA-256. */
export interface SpooledFile {
  /** The copy, private to this user (0600), in a folder of its own under the temp folder. */
  path: string;
  sha256: string;
  bytes: number;
  /** The source's stats after the copy was read. */
  after: Stats;
  /** True when the source changed while the copy was read (the copy may mix versions). */
  changed: boolean;
  remove(): Promise<void>;
}

/** Errors from the source (reading it) keep their errno code; errors writing the copy are the temp folder's. */
class SourceError extends Error {
  constructor(override readonly cause: NodeJS.ErrnoException) {
    super(cause.message);
  }
}

/**
 * Copies a big file that changed on every read to a still file, hashing what is copied: an S3
 * key is fixed before a multipart upload starts, so a blob's name can only be the hash of bytes
 * that no longer change. The copy is uploaded, and named by that hash. Used only after the
 * retries, so a busy file costs one copy on local disk for as long as its upload.
 */
export async function spoolFile(absPath: string, signal?: AbortSignal): Promise<SpooledFile> {
  const dir = await mkdtemp(join(tmpdir(), 'coldkeep-spool-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'copy');
  try {
    const sourceStat = (): Promise<Stats> =>
      stat(absPath).catch((err: NodeJS.ErrnoException) => {
        throw new SourceError(err);
      });
    const before = await sourceStat();
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const source = createReadStream(absPath);
    let sourceFailed: NodeJS.ErrnoException | undefined;
    source.on('error', (err: NodeJS.ErrnoException) => (sourceFailed = err));
    try {
      await pipeline(source, tap, createWriteStream(path, { flags: 'wx', mode: 0o600 }), { signal });
    } catch (err) {
      if (sourceFailed) throw new SourceError(sourceFailed);
      throw err;
    }
    const after = await sourceStat();
    return {
      path,
      sha256: hash.digest('hex'),
      bytes,
      after,
      changed: before.size !== after.size || before.mtimeMs !== after.mtimeMs || after.size !== bytes,
      remove,
    };
  } catch (err) {
    await remove();
    if (err instanceof SourceError) throw err.cause;
    if ((err as NodeJS.ErrnoException).code && !(err instanceof ColdkeepError) && !signal?.aborted) {
      throw new ColdkeepError(
        'BackupIncomplete',
        `Cannot make a still copy of ${absPath}, which kept changing while it was read: ${(err as Error).message}.`,
        {
          hint: `Free space in ${tmpdir()} (or point TMPDIR at a folder with room for the file), then run the backup again.`,
          cause: err,
        },
      );
    }
    throw err;
  }
}
