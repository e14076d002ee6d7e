import type { S3Client } from '@aws-sdk/client-s3';
import type { Item } from '../tables';
import { DataFileUpload, type DataFileResult } from './dataFileUpload';
import { itemToLine } from './itemLines';
import type { StorageOptions } from './storageOptions';

export interface SegmentWriterOptions {
  s3: S3Client;
  bucket: string;
  segment: number;
  /** The key of part N of this segment. */
  keyFor: (part: number) => string;
  storage: StorageOptions;
  /** Start a new data file once the current one holds this many bytes of JSON. */
  rolloverBytes: number;
  partSize?: number;
}

/** Characters of JSON lines per Buffer handed to gzip. */
const LINES_CHUNK = 32 * 1024;

/** Writes one segment's items into one or more data files, rolling over at a size threshold. */
export class SegmentWriter {
  readonly files: DataFileResult[] = [];
  private current: DataFileUpload | undefined;
  private part = 0;

  constructor(private readonly options: SegmentWriterOptions) {}

  /**
   * Writes a page of items; resolves to the bytes of JSON it made. Not async on purpose: the
   * items become lines at once, and nothing holds them while the write waits for the upload.
   * The lines go out as Buffers of about 32 KiB: a page as one string (~0.5 MB) is a large
   * object to V8, promoted to the old generation by the first scavenge it lives through, and
   * then garbage that only a full collection frees; small ones die young.
   */
  writePage(items: Item[]): Promise<number> {
    if (items.length === 0) return Promise.resolve(0);
    const chunks: Buffer[] = [];
    let bytes = 0;
    let text = '';
    for (const item of items) {
      text += itemToLine(item);
      if (text.length >= LINES_CHUNK) {
        const chunk = Buffer.from(text);
        chunks.push(chunk);
        bytes += chunk.length;
        text = '';
      }
    }
    if (text) {
      const chunk = Buffer.from(text);
      chunks.push(chunk);
      bytes += chunk.length;
    }
    return this.writeLines(chunks, items.length, bytes);
  }

  private async writeLines(chunks: Buffer[], items: number, bytes: number): Promise<number> {
    if (this.current && this.current.uncompressedBytes >= this.options.rolloverBytes) {
      await this.finishCurrent();
    }
    this.current ??= this.open();
    await this.current.write(chunks, items, bytes);
    return bytes;
  }

  /** Closes the last data file. A segment with no items writes no file. */
  async finish(): Promise<DataFileResult[]> {
    await this.finishCurrent();
    return this.files;
  }

  /** The key of the data file being written, if any (to report it when the backup fails). */
  get openKey(): string | undefined {
    return this.current?.key;
  }

  async abort(): Promise<void> {
    await this.current?.abort();
    this.current = undefined;
  }

  private open(): DataFileUpload {
    this.part += 1;
    return new DataFileUpload({
      s3: this.options.s3,
      bucket: this.options.bucket,
      key: this.options.keyFor(this.part),
      storage: this.options.storage,
      partSize: this.options.partSize,
    });
  }

  private async finishCurrent(): Promise<void> {
    if (!this.current) return;
    const upload = this.current;
    this.current = undefined;
    try {
      this.files.push(await upload.finish());
    } catch (err) {
      await upload.abort();
      throw err;
    }
  }
}
