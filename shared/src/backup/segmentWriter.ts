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

/** Writes one segment's items into one or more data files, rolling over at a size threshold. */
export class SegmentWriter {
  readonly files: DataFileResult[] = [];
  private current: DataFileUpload | undefined;
  private part = 0;

  constructor(private readonly options: SegmentWriterOptions) {}

  /**
   * Writes a page of items; resolves to the bytes of JSON it made. Not async on purpose: the
   * items become lines at once, and nothing holds them while the write waits for the upload.
   */
  writePage(items: Item[]): Promise<number> {
    if (items.length === 0) return Promise.resolve(0);
    let lines = '';
    for (const item of items) lines += itemToLine(item);
    return this.writeLines(lines, items.length, Buffer.byteLength(lines));
  }

  private async writeLines(lines: string, items: number, bytes: number): Promise<number> {
    if (this.current && this.current.uncompressedBytes >= this.options.rolloverBytes) {
      await this.finishCurrent();
    }
    this.current ??= this.open();
    await this.current.write(lines, items, bytes);
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
