import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type ObjectCodec, PLAIN_CODEC } from './objectCodec';
import { checkEntryFields, checkTreeRef, type FileEntry, type SnapshotEntry } from './snapshotManifest';

export const TREE_FORMAT = 'coldkeep.folder-tree';
export const TREE_FORMAT_VERSION = 1;

/**
 * Where a folder's tree is: its name (the SHA-256 of the tree's JSON text, as a blob is named by
 * its content) and its slice of a tree pack (`length` bytes of gzip at `offset`).
 */
export interface TreeRef {
  id: string;
  pack: string;
  offset: number;
  length: number;
}

/**
 * One entry of a folder's tree: a snapshot entry named by its name in the folder instead of its
 * path from the root; a folder also names its own tree.
 */
export type TreeEntry =
  | (Omit<FileEntry, 'path'> & { name: string })
  | { type: 'dir'; name: string; mtimeMs: number; mode: number; tree: TreeRef }
  | { type: 'symlink'; name: string; mtimeMs: number; target: string };

/** A tree's JSON text and its id (the text's SHA-256); `treeBody` gives the bytes stored. */
export interface EncodedTree {
  id: string;
  text: string;
}

/**
 * A folder's entries as a tree object (`entryText` each). Fields are written in one fixed order,
 * whatever order the entry's object has (an entry taken from the parent's tree, or made by this
 * run), so one content always gives one text, one id, and an unchanged folder reuses its tree.
 */
export function encodeTree(entries: TreeEntry[], codec: ObjectCodec = PLAIN_CODEC): EncodedTree {
  return encodeTreeTexts(
    entries.map((e) => entryText(e as unknown as SnapshotEntry, e.name, e.type === 'dir' ? e.tree : undefined)),
    codec,
  );
}

/** A tree from its entries' texts (`entryText`), in order. */
export function encodeTreeTexts(texts: string[], codec: ObjectCodec = PLAIN_CODEC): EncodedTree {
  const text = `{"format":"${TREE_FORMAT}","formatVersion":${TREE_FORMAT_VERSION},"entries":[${texts.join(',')}]}`;
  return { id: treeId(text, codec), text };
}

/**
 * A tree's id: the SHA-256 of its text; in an encrypted source the codec's keyed name of it
 * (as blobs are named), so that equal trees are still stored once but no id reveals a hash.
 */
export function treeId(text: string, codec: ObjectCodec = PLAIN_CODEC): string {
  return codec.blobName(createHash('sha256').update(text).digest('hex'));
}

/**
 * The JSON text of a snapshot entry in its folder's tree, under `name` (a folder's with its tree).
 * Written by hand, without an object per entry: a backup writes one for each of 100,000s of
 * entries. Numbers print as JSON.stringify prints them; hashes and pack ids are checked
 * characters ([0-9a-zA-Z-]); names and link targets are escaped.
 */
export function entryText(e: SnapshotEntry, name: string, tree?: TreeRef): string {
  const named = `"name":${JSON.stringify(name)},"mtimeMs":${num(e.mtimeMs)}`;
  if (e.type === 'file') {
    const pack = e.pack !== undefined ? `,"pack":"${e.pack}","packOffset":${num(e.packOffset!)}` : '';
    const stored = e.storedSize !== undefined ? `,"storedSize":${num(e.storedSize)}` : '';
    const changed = e.changedWhileRead ? ',"changedWhileRead":true' : '';
    return `{"type":"file",${named},"size":${num(e.size)},"mode":${num(e.mode)},"sha256":"${e.sha256}"${pack}${stored}${changed}}`;
  }
  if (e.type === 'dir') {
    const t = tree!;
    return `{"type":"dir",${named},"mode":${num(e.mode)},"tree":{"id":"${t.id}","pack":"${t.pack}","offset":${num(t.offset)},"length":${num(t.length)}}}`;
  }
  return `{"type":"symlink",${named},"target":${JSON.stringify(e.target)}}`;
}

/** A number as JSON writes it (not finite: null, as JSON.stringify; never in a valid entry). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * The bytes stored for a tree: its text, gzip; in an encrypted source sealed by the codec (which
 * compresses with zstd first). Only a tree not stored yet is compressed: a no-change backup
 * names every folder's tree but compresses none.
 */
export function treeBody(tree: EncodedTree, codec: ObjectCodec = PLAIN_CODEC): Buffer {
  if (codec.sealed) return codec.seal('tree', Buffer.from(tree.text, 'utf8'));
  return gzipSync(tree.text, { level: zlibConstants.Z_BEST_SPEED });
}

/** A tree entry's fields checked by hand (a no-change backup reads every tree of its parent). */
function checkTreeEntry(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return 'not an object';
  const x = e as Record<string, unknown>;
  if (typeof x.name !== 'string' || x.name === '' || x.name === '.' || x.name === '..' || x.name.includes('/'))
    return 'name';
  return checkEntryFields(x, (dir) => {
    const wrong = checkTreeRef(dir.tree);
    return wrong ? `tree.${wrong}` : undefined;
  });
}

function damagedTree(id: string, where: string, why: string, cause?: unknown): ColdkeepError {
  return new ColdkeepError('SnapshotDamaged', `The folder tree ${id.slice(0, 12)}… in ${where} ${why}.`, {
    hint: 'The snapshot cannot be read past this folder: restore from another snapshot, or back up with {setting:parent=none} to store every tree anew.',
    details: { tree: id, where },
    ...(cause ? { cause } : {}),
  });
}

/** A tree's JSON text from its stored bytes, checked against its id (a tree not matching its name is damaged). */
export function treeText(body: Uint8Array, id: string, where: string, codec: ObjectCodec = PLAIN_CODEC): string {
  let text: string;
  try {
    text = (codec.sealed ? codec.open('tree', body, where) : gunzipSync(body)).toString('utf8');
  } catch (err) {
    throw damagedTree(id, where, codec.sealed ? 'does not open' : 'is not gzip', err);
  }
  if (treeId(text, codec) !== id) throw damagedTree(id, where, 'does not match its name');
  return text;
}

/**
 * The entries of trees from their texts, each checked. They are parsed together, as one JSON
 * array: V8 puts what it parses from a text of 100 KB or more straight into the old generation,
 * while 1,000 parses of small trees, all kept, grew the young one to 128 MB (+70 MB of RSS on a
 * no-change backup of 100,000 files). A text that breaks the array is parsed alone, to say which.
 */
export function decodeTrees(trees: { id: string; text: string }[], where: string): TreeEntry[][] {
  let parsed: unknown[] | undefined;
  try {
    const all: unknown = JSON.parse(`[${trees.map((t) => t.text).join(',')}]`);
    if (Array.isArray(all) && all.length === trees.length) parsed = all;
  } catch {
    parsed = undefined;
  }
  return trees.map((t, i) => {
    let json: unknown;
    if (parsed) json = parsed[i];
    else {
      try {
        json = JSON.parse(t.text);
      } catch (err) {
        throw damagedTree(t.id, where, 'is not JSON', err);
      }
    }
    const tree = json as { format?: unknown; formatVersion?: unknown; entries?: unknown };
    if (
      !tree ||
      tree.format !== TREE_FORMAT ||
      tree.formatVersion !== TREE_FORMAT_VERSION ||
      !Array.isArray(tree.entries)
    )
      throw damagedTree(t.id, where, `is not a ${TREE_FORMAT} ${TREE_FORMAT_VERSION}`);
    for (let k = 0; k < tree.entries.length; k++) {
      const wrong = checkTreeEntry(tree.entries[k]);
      if (wrong) throw damagedTree(t.id, where, `is not valid: entries.${k}.${wrong}`);
    }
    return tree.entries as TreeEntry[];
  });
}

/** One tree's entries from its stored bytes (`treeText`, then `decodeTrees`). */
export function decodeTree(body: Uint8Array, id: string, where: string, codec: ObjectCodec = PLAIN_CODEC): TreeEntry[] {
  return decodeTrees([{ id, text: treeText(body, id, where, codec) }], where)[0]!;
}

/** A tree entry as the snapshot entry at `path`. */
export function entryAt(e: TreeEntry, path: string): SnapshotEntry {
  if (e.type === 'dir') return { type: 'dir', path, mtimeMs: e.mtimeMs, mode: e.mode };
  const { name: _name, ...rest } = e;
  return { ...rest, path } as SnapshotEntry;
}
