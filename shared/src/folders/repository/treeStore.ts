import type { S3Client } from '@aws-sdk/client-s3';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { runPool } from '../../base/jobs/pool';
import type { StorageOptions } from '../../storage/storageOptions';
import { decodeTrees, encodeTreeTexts, entryAt, treeBody, treeText, type TreeEntry, type TreeRef } from './folderTree';
import { treePackKey, type SourceLocation } from './layout';
import { readSlices } from './packReader';
import { PackWriter } from './packWriter';
import type { SnapshotEntry } from './snapshotManifest';

export interface TreeStoreOptions {
  s3: S3Client;
  location: SourceLocation;
  storage: StorageOptions;
  packSize: number;
  /** Trees known to be stored (those of the parent snapshot, read and checked), by id. */
  known: Map<string, TreeRef>;
  signal?: AbortSignal;
  now?: () => Date;
}

/**
 * The folder trees of a source (snapshot format 3). A tree is stored once: a tree whose id is
 * known (the parent's, or one this run stored) is reused where it is, so an unchanged folder
 * costs no object and no byte; new ones go into tree packs through the same pack writer as
 * small blobs, in Standard storage and without an index (a tree's place is in its parent's entry,
 * the root's in the manifest).
 */
export class TreeStore {
  private readonly packs: PackWriter;

  constructor(private readonly options: TreeStoreOptions) {
    const { location } = options;
    this.packs = new PackWriter({
      s3: options.s3,
      location,
      storage: options.storage,
      // Trees are read by every backup, restore and verify: never archived.
      tagging: undefined,
      packSize: options.packSize,
      signal: options.signal,
      now: options.now,
      keys: { pack: (id) => treePackKey(location, id), index: null },
    });
  }

  /** Trees stored by this run, counted once their pack is uploaded. */
  get uploadedTrees(): number {
    return this.packs.uploadedBlobs;
  }

  get uploadedTreeBytes(): number {
    return this.packs.uploadedBytes;
  }

  get uploadedTreePacks(): number {
    return this.packs.uploadedPacks;
  }

  /**
   * Stores a folder's tree, given its entries' texts (`entryText`), unless one with its content
   * is known; says where it is. Synchronous.
   */
  store(entryTexts: string[]): TreeRef {
    const tree = encodeTreeTexts(entryTexts);
    const { id } = tree;
    const known = this.options.known.get(id);
    if (known) return known;
    const body = treeBody(tree);
    const place = this.packs.append(id, body);
    const ref: TreeRef = { id, pack: place.pack, offset: place.packOffset, length: body.length };
    this.options.known.set(id, ref);
    return ref;
  }

  /** Waits while too many tree packs are uploading. */
  drain(): Promise<void> {
    return this.packs.drain();
  }

  /** Uploads the last tree pack and waits for all: the manifest names the root after. */
  flush(): Promise<void> {
    return this.packs.flush();
  }

  settle(): Promise<void> {
    return this.packs.settle();
  }
}

/** Slices further apart than this in one pack are read with separate ranged GETs. */
const MAX_GAP = 256 * 1024;

/**
 * Reads trees, grouped by pack: one ranged GET for each run of neighbouring slices (8 at once).
 * Each is checked against its id; `onTree` gets its entries. A missing pack or a damaged tree is
 * SnapshotDamaged.
 */
export async function readTrees(
  s3: S3Client,
  loc: SourceLocation,
  refs: Iterable<TreeRef>,
  onTree: (ref: TreeRef, entries: TreeEntry[]) => void,
  signal?: AbortSignal,
): Promise<void> {
  const byPack = new Map<string, TreeRef[]>();
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref.id)) continue;
    seen.add(ref.id);
    const group = byPack.get(ref.pack);
    if (group) group.push(ref);
    else byPack.set(ref.pack, [ref]);
  }
  const runs: { pack: string; refs: TreeRef[] }[] = [];
  for (const [pack, group] of byPack) {
    group.sort((a, b) => a.offset - b.offset);
    let run: TreeRef[] = [];
    for (const ref of group) {
      const last = run[run.length - 1];
      if (last && ref.offset - (last.offset + last.length) > MAX_GAP) {
        runs.push({ pack, refs: run });
        run = [];
      }
      run.push(ref);
    }
    if (run.length) runs.push({ pack, refs: run });
  }
  await runPool(
    runs,
    8,
    async ({ pack, refs: wanted }, poolSignal) => {
      const key = treePackKey(loc, pack);
      const where = `s3://${loc.bucket}/${key}`;
      const slices = wanted.map((ref) => ({ sha256: ref.id, packOffset: ref.offset, size: ref.length, ref }));
      // The texts of the run are parsed together once read (decodeTrees says why).
      const texts: { id: string; text: string; ref: TreeRef }[] = [];
      try {
        await readSlices(
          s3,
          loc.bucket,
          key,
          slices,
          async (slice, body) => {
            texts.push({ id: slice.ref.id, text: treeText(body, slice.ref.id, where), ref: slice.ref });
          },
          poolSignal,
        );
        const decoded = decodeTrees(texts, where);
        texts.forEach((t, i) => onTree(t.ref, decoded[i]!));
      } catch (err) {
        const cause = (err as { cause?: { name?: string } }).cause;
        if (cause?.name === 'NoSuchKey' || (err as { name?: string }).name === 'NoSuchKey') {
          throw new ColdkeepError('SnapshotDamaged', `The tree pack ${where} is missing.`, {
            hint: 'The snapshot cannot be read: restore from another snapshot, or back up with {setting:parent=none} to store every tree anew.',
            details: { key },
          });
        }
        if (err instanceof ColdkeepError && err.code === 'ChecksumMismatch') {
          throw new ColdkeepError('SnapshotDamaged', `The tree pack ${where} is shorter than the snapshot says.`, {
            hint: 'The snapshot cannot be read: restore from another snapshot, or back up with {setting:parent=none} to store every tree anew.',
            details: { key },
            cause: err,
          });
        }
        throw err;
      }
    },
    signal,
  );
}

/** What a walk of a snapshot's trees found: its entries in walk order, and every tree read. */
export interface TreeWalk {
  entries: SnapshotEntry[];
  trees: Map<string, TreeRef>;
}

/**
 * Reads a snapshot's trees from the root, one level at a time (a level's trees are read together,
 * by pack), entering only the folders `descend` accepts (a restore of one path reads only the
 * trees on that path). The entries come out in walk order: a folder, then what it holds.
 */
export async function walkTrees(
  s3: S3Client,
  loc: SourceLocation,
  root: TreeRef,
  descend: (dirPath: string) => boolean,
  signal?: AbortSignal,
): Promise<TreeWalk> {
  const read = new Map<string, TreeEntry[]>();
  const trees = new Map<string, TreeRef>();
  let level: { ref: TreeRef; path: string }[] = [{ ref: root, path: '' }];
  while (level.length) {
    await readTrees(
      s3,
      loc,
      level.filter((l) => !read.has(l.ref.id)).map((l) => l.ref),
      (ref, entries) => {
        read.set(ref.id, entries);
        trees.set(ref.id, ref);
      },
      signal,
    );
    const next: { ref: TreeRef; path: string }[] = [];
    for (const { ref, path } of level) {
      for (const e of read.get(ref.id)!) {
        if (e.type !== 'dir') continue;
        const at = path ? `${path}/${e.name}` : e.name;
        if (descend(at)) next.push({ ref: e.tree, path: at });
      }
    }
    level = next;
  }
  const entries: TreeWalk['entries'] = [];
  const visit = (id: string, path: string): void => {
    for (const e of read.get(id)!) {
      const at = path ? `${path}/${e.name}` : e.name;
      entries.push(atPath(e, at));
      if (e.type === 'dir' && read.has(e.tree.id) && descend(at)) visit(e.tree.id, at);
    }
  };
  visit(root.id, '');
  return { entries, trees };
}

/**
 * The tree entry as the snapshot entry at `path`: the decoded object itself, given its path (its
 * `name`, and a folder's `tree`, stay as extra fields), so that 100,000s of entries are not
 * copied, which kept V8's young generation at its largest (+90 MB of RSS on a no-change backup
 * of 100,000 files). A tree found at a second path (two folders with one content) is copied.
 */
function atPath(e: TreeEntry, path: string): SnapshotEntry {
  const placed = e as TreeEntry & { path?: string };
  if (placed.path === undefined) {
    placed.path = path;
    return placed as unknown as SnapshotEntry;
  }
  return entryAt(e, path);
}

/**
 * Visits every tree reachable from `roots` once (trees shared by many snapshots are read once),
 * one level at a time across all of them: what prune needs to know what is referenced.
 */
export async function forEachTree(
  s3: S3Client,
  loc: SourceLocation,
  roots: Iterable<TreeRef>,
  onTree: (ref: TreeRef, entries: TreeEntry[]) => void,
  signal?: AbortSignal,
): Promise<void> {
  const seen = new Set<string>();
  let level = [...roots];
  while (level.length) {
    const fresh = level.filter((ref) => !seen.has(ref.id) && seen.add(ref.id));
    const next: TreeRef[] = [];
    await readTrees(
      s3,
      loc,
      fresh,
      (ref, entries) => {
        onTree(ref, entries);
        for (const e of entries) if (e.type === 'dir' && !seen.has(e.tree.id)) next.push(e.tree);
      },
      signal,
    );
    level = next;
  }
}
