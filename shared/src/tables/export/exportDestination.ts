import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { parseS3Uri } from '../../storage/bucketKeys';
import { lifecycleTags, objectParams, type StorageOptions } from '../../storage/storageOptions';
import { CancelledError, ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';

export type ExportTarget = { kind: 's3'; bucket: string; key: string } | { kind: 'file'; path: string };

/** "s3://bucket/key" or a local path. */
export function parseExportTarget(to: string): ExportTarget {
  if (to.startsWith('s3://')) {
    const parsed = parseS3Uri(to);
    if (!parsed || !parsed.key || parsed.key.endsWith('/')) {
      throw new ColdkeepError('InvalidInput', `"${to}" does not name an object.`, {
        hint: 'Give the whole key, e.g. s3://my-bucket/exports/studentData.csv.',
      });
    }
    return { kind: 's3', bucket: parsed.bucket, key: parsed.key };
  }
  if (!to)
    throw new ColdkeepError('InvalidInput', 'No destination given.', {
      hint: 'Give the destination ({setting:to}): s3://bucket/key or a file path.',
    });
  return { kind: 'file', path: resolve(to) };
}

export function describeTarget(target: ExportTarget): string {
  return target.kind === 's3' ? `s3://${target.bucket}/${target.key}` : target.path;
}

/**
 * Where an export's bytes go. Nothing that looks complete exists until `finish()`: an S3
 * multipart upload is completed only then (and aborted on failure); a local file is written
 * under a temporary name and renamed into place.
 */
export interface ExportSink {
  write(chunk: string): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
  readonly bytes: number;
}

async function writeWithBackpressure(
  stream: PassThrough | WriteStream,
  chunk: string,
  done: Promise<unknown>,
): Promise<void> {
  if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
}

export function openExportSink(
  s3: S3Client,
  target: ExportTarget,
  contentType: string,
  storage: StorageOptions = { lifecycleTag: null },
): ExportSink {
  return target.kind === 's3' ? new S3Sink(s3, target, contentType, storage) : new FileSink(target.path);
}

class S3Sink implements ExportSink {
  bytes = 0;
  private readonly body = new PassThrough();
  private readonly uploaded: Promise<unknown>;

  constructor(
    s3: S3Client,
    private readonly target: { bucket: string; key: string },
    contentType: string,
    storage: StorageOptions,
  ) {
    const upload = new Upload({
      client: s3,
      params: {
        Bucket: target.bucket,
        Key: target.key,
        Body: this.body,
        ContentType: contentType,
        ...objectParams(storage),
      },
      tags: lifecycleTags(storage),
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    this.uploaded = upload.done();
    this.uploaded.catch(() => undefined);
  }

  async write(chunk: string): Promise<void> {
    this.bytes += Buffer.byteLength(chunk);
    await writeWithBackpressure(this.body, chunk, this.uploaded);
  }

  async finish(): Promise<void> {
    this.body.end();
    try {
      await this.uploaded;
    } catch (err) {
      throw fromAwsError(err, {
        doing: `write the export to s3://${this.target.bucket}/${this.target.key}`,
        bucket: this.target.bucket,
      });
    }
  }

  async abort(): Promise<void> {
    // lib-storage aborts a started multipart upload when its body fails.
    this.body.destroy(new CancelledError('Export stopped.'));
    await this.uploaded.catch(() => undefined);
  }
}

class FileSink implements ExportSink {
  bytes = 0;
  private readonly temp: string;
  private stream?: WriteStream;
  private opened?: Promise<WriteStream>;
  private failed?: Promise<never>;

  constructor(private readonly path: string) {
    this.temp = `${path}.${randomBytes(4).toString('hex')}.partial`;
  }

  private open(): Promise<WriteStream> {
    this.opened ??= (async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const stream = createWriteStream(this.temp, { flags: 'wx' });
      this.failed = new Promise<never>((_, reject) => stream.once('error', reject));
      this.failed.catch(() => undefined);
      await Promise.race([once(stream, 'open'), this.failed]);
      this.stream = stream;
      return stream;
    })();
    return this.opened;
  }

  async write(chunk: string): Promise<void> {
    const stream = await this.open();
    this.bytes += Buffer.byteLength(chunk);
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), this.failed]);
  }

  async finish(): Promise<void> {
    const stream = await this.open();
    stream.end();
    await Promise.race([once(stream, 'finish'), this.failed]);
    await new Promise<void>((done) => stream.close(() => done()));
    await rename(this.temp, this.path);
  }

  async abort(): Promise<void> {
    this.stream?.destroy();
    await rm(this.temp, { force: true });
  }
}
