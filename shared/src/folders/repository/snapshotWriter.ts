import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { entryText } from './folderTree';
import type { SnapshotEntry, SnapshotManifest } from './snapshotManifest';
import type { TreeStore } from './treeStore';

/** Where the writer's trees go: a TreeStore (tests give an in-memory one). */
export type TreeSink = Pick<TreeStore, 'store' | 'drain' | 'flush'>;

/** The fields of a snapshot manifest known when a backup starts. */
export type SnapshotHead = Omit<SnapshotManifest, 'entries' | 'tree' | SnapshotTailField>;
type SnapshotTailField = 'finishedAt' | 'files' | 'dirs' | 'symlinks' | 'bytes' | 'skipped';
/** The fields known when it ends. */
export type SnapshotTail = Pick<SnapshotManifest, SnapshotTailField>;

/** A folder whose entries are still coming in walk order; the root has no entry of its own. */
interface OpenFolder {
  path: string;
  entry?: Extract<SnapshotEntry, { type: 'dir' }>;
  /** The texts of its entries so far (`entryText`): no copy of an entry is kept. */
  children: string[];
}

const nameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const parentOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/**
 * Builds a format 3 snapshot while the backup runs: entries come in walk order (a folder, then
 * what it holds), each as soon as it and all before it are final (files are stored out of
 * order; reserved slots keep their place). A folder's tree is made when the walk leaves it,
 * bottom-up, and stored unless its content is known (an unchanged folder reuses its tree, and
 * so its parent can too). Only the folders on the current path are held, never every entry.
 * `finish` stores the root's tree and gives the manifest: the head, the tail and the root tree.
 */
export class SnapshotWriter {
  /** The folders being filled, root first. */
  private readonly open: OpenFolder[] = [{ path: '', children: [] }];
  /** Entries not yet taken, in walk order: undefined while a file is being stored, null if left out. */
  private slots: (SnapshotEntry | null | undefined)[] = [];
  /** The walk-order number of slots[0]. */
  private slotBase = 0;

  constructor(
    private readonly head: SnapshotHead,
    private readonly trees: TreeSink,
  ) {}

  /** Adds the next entry in walk order. Synchronous, like `reserve` and `fill`: no lock is needed. */
  add(entry: SnapshotEntry): void {
    this.slots.push(entry);
    this.takeReady();
  }

  /** Holds the next place in walk order for an entry that is not final yet; `fill` it later. */
  reserve(): number {
    return this.slots.push(undefined) - 1 + this.slotBase;
  }

  /** Gives a reserved place its entry, or none (the file was left out after all). */
  fill(slot: number, entry: SnapshotEntry | undefined): void {
    this.slots[slot - this.slotBase] = entry ?? null;
    this.takeReady();
  }

  /** Waits while tree packs are uploading behind, so they do not pile up. */
  drained(): Promise<void> {
    return this.trees.drain();
  }

  /** Stores the last trees (the root's last), waits for their packs; the manifest's gzip JSON. */
  async finish(tail: SnapshotTail): Promise<Buffer> {
    if (this.slots.length) throw new Error('A reserved snapshot entry was never filled.');
    while (this.open.length > 1) this.close();
    const tree = this.trees.store(this.open[0]!.children);
    await this.trees.flush();
    const manifest: SnapshotManifest = { ...this.head, ...tail, tree };
    return promisify(gzip)(JSON.stringify(manifest));
  }

  /** Nothing to drop: trees are only named by a manifest, which a failed backup never writes. */
  destroy(): void {}

  /** Takes the first slots while they are final, and lets them go. */
  private takeReady(): void {
    let ready = 0;
    while (ready < this.slots.length && this.slots[ready] !== undefined) {
      const entry = this.slots[ready++];
      if (entry) this.take(entry);
    }
    if (ready > 0) {
      this.slots = this.slots.slice(ready);
      this.slotBase += ready;
    }
  }

  private take(entry: SnapshotEntry): void {
    const parent = parentOf(entry.path);
    // Walk order: the folders left since the last entry are complete.
    while (this.open.length > 1 && this.open[this.open.length - 1]!.path !== parent) this.close();
    const top = this.open[this.open.length - 1]!;
    if (top.path !== parent) throw new Error(`Snapshot entry ${entry.path} is out of walk order.`);
    if (entry.type === 'dir') this.open.push({ path: entry.path, entry, children: [] });
    else top.children.push(entryText(entry, nameOf(entry.path)));
  }

  /** The innermost open folder is complete: its tree is stored, its entry goes to its parent. */
  private close(): void {
    const folder = this.open.pop()!;
    const ref = this.trees.store(folder.children);
    this.open[this.open.length - 1]!.children.push(entryText(folder.entry!, nameOf(folder.path), ref));
  }
}
