import { once } from 'node:events';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import type { SnapshotEntry, SnapshotManifest } from './snapshotManifest';

/** The fields of a snapshot manifest known when a backup starts. */
export type SnapshotHead = Omit<SnapshotManifest, 'entries' | SnapshotTailField>;
type SnapshotTailField = 'finishedAt' | 'files' | 'dirs' | 'symlinks' | 'bytes' | 'skipped';
/** The fields known when it ends. */
export type SnapshotTail = Pick<SnapshotManifest, SnapshotTailField>;

/** Characters of JSON gathered before they go to gzip. */
const TEXT_CHUNK = 64 * 1024;

/**
 * Writes a snapshot manifest's gzip JSON while the backup runs: the fields known at the start,
 * then the entries in walk order, each as soon as it and all before it are final, then the
 * figures known at the end (JSON objects have no order; the reader checks the whole as before).
 * A backup of 100,000 files then holds the compressed text (~6 MB) and the entries in flight,
 * never all of its entries.
 */
export class SnapshotWriter {
  private readonly gzip = createGzip({ level: zlibConstants.Z_BEST_SPEED });
  private readonly chunks: Buffer[] = [];
  private readonly ended: Promise<unknown>;
  private text: string;
  private count = 0;
  /** Entries not yet written, in walk order: undefined while a file is being stored, null if left out. */
  private slots: (SnapshotEntry | null | undefined)[] = [];
  /** The walk-order number of slots[0]. */
  private slotBase = 0;

  constructor(head: SnapshotHead) {
    this.gzip.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.ended = once(this.gzip, 'end');
    this.ended.catch(() => undefined); // awaited by finish(); a destroyed writer is never finished
    // The head's object, left open for the entries.
    this.text = `${JSON.stringify(head).slice(0, -1)},"entries":[`;
  }

  /** Adds the next entry in walk order. Synchronous, like `reserve` and `fill`: no lock is needed. */
  add(entry: SnapshotEntry): void {
    this.slots.push(entry);
    this.writeReady();
  }

  /** Holds the next place in walk order for an entry that is not final yet; `fill` it later. */
  reserve(): number {
    return this.slots.push(undefined) - 1 + this.slotBase;
  }

  /** Gives a reserved place its entry, or none (the file was left out after all). */
  fill(slot: number, entry: SnapshotEntry | undefined): void {
    this.slots[slot - this.slotBase] = entry ?? null;
    this.writeReady();
  }

  /** Waits while gzip is behind, so uncompressed text does not pile up. */
  async drained(): Promise<void> {
    if (this.gzip.writableNeedDrain) await once(this.gzip, 'drain');
  }

  /** Closes the entries and the object with the figures known at the end; the gzip bytes. */
  async finish(tail: SnapshotTail): Promise<Buffer> {
    if (this.slots.length) throw new Error('A reserved snapshot entry was never filled.');
    this.gzip.end(`${this.text}],${JSON.stringify(tail).slice(1)}`);
    this.text = '';
    await this.ended;
    return Buffer.concat(this.chunks);
  }

  /** Writes the first slots while they are final, and lets them go. */
  private writeReady(): void {
    let ready = 0;
    while (ready < this.slots.length && this.slots[ready] !== undefined) {
      const entry = this.slots[ready++];
      if (entry) this.write(entry);
    }
    if (ready > 0) {
      this.slots = this.slots.slice(ready);
      this.slotBase += ready;
    }
  }

  private write(entry: SnapshotEntry): void {
    this.text += (this.count++ > 0 ? ',' : '') + JSON.stringify(entry);
    if (this.text.length >= TEXT_CHUNK) {
      this.gzip.write(this.text);
      this.text = '';
    }
  }

  /** Drops what was written (a backup that fails writes no snapshot). */
  destroy(): void {
    this.gzip.destroy();
  }
}
