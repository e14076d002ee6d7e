import type { S3Client } from '@aws-sdk/client-s3';
import { DataFileUpload, type DataFileResult } from './dataFileUpload';
import type { StorageOptions } from '../../storage/storageOptions';

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

const LINE_START = Buffer.from('{"Item":');
const LINE_END = Buffer.from('}\n');
/** Bytes of lines per Buffer handed to gzip: one per page would be a large allocation per write. */
const LINES_CHUNK = 64 * 1024;

/** Writes one segment's items into one or more data files, rolling over at a size threshold. */
export class SegmentWriter {
  readonly files: DataFileResult[] = [];
  private current: DataFileUpload | undefined;
  private part = 0;

  constructor(private readonly options: SegmentWriterOptions) {}

  /**
   * Writes a page of items, each given as its DynamoDB JSON text on one line (`scanSegmentJson`);
   * resolves to the bytes of lines it made. Not async on purpose: the items are copied into
   * lines at once, so nothing holds the page while the write waits for the upload.
   */
  writePage(items: readonly Buffer[]): Promise<number> {
    if (items.length === 0) return Promise.resolve(0);
    const framing = LINE_START.length + LINE_END.length;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let k = 0;
    while (k < items.length) {
      // Whole lines per chunk, at least one, up to about LINES_CHUNK bytes.
      let size = items[k]!.length + framing;
      let last = k + 1;
      while (last < items.length && size + items[last]!.length + framing <= LINES_CHUNK) {
        size += items[last]!.length + framing;
        last++;
      }
      const chunk = Buffer.allocUnsafe(size);
      let at = 0;
      for (; k < last; k++) {
        at += LINE_START.copy(chunk, at);
        at += items[k]!.copy(chunk, at);
        at += LINE_END.copy(chunk, at);
      }
      chunks.push(chunk);
      bytes += size;
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
