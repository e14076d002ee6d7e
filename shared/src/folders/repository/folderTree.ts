import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { FileEntry, SnapshotEntry } from './snapshotManifest';

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

/** A tree ready to store: its stored bytes (gzip) and its id (SHA-256 of the JSON text). */
export interface EncodedTree {
  id: string;
  body: Buffer;
}

/**
 * A folder's entries as a tree object. Fields are written in one fixed order, whatever order the
 * entry's object has (an entry taken from the parent's tree, or made by this run), so one content
 * always gives one text, one id, and an unchanged folder reuses its tree.
 */
export function encodeTree(entries: TreeEntry[]): EncodedTree {
  const text = `{"format":"${TREE_FORMAT}","formatVersion":${TREE_FORMAT_VERSION},"entries":[${entries.map(entryText).join(',')}]}`;
  return {
    id: createHash('sha256').update(text).digest('hex'),
    body: gzipSync(text, { level: zlibConstants.Z_BEST_SPEED }),
  };
}

function entryText(e: TreeEntry): string {
  if (e.type === 'file') {
    return JSON.stringify({
      type: 'file',
      name: e.name,
      size: e.size,
      mtimeMs: e.mtimeMs,
      mode: e.mode,
      sha256: e.sha256,
      ...(e.pack !== undefined ? { pack: e.pack, packOffset: e.packOffset } : {}),
      ...(e.changedWhileRead ? { changedWhileRead: true } : {}),
    });
  }
  if (e.type === 'dir') {
    const { id, pack, offset, length } = e.tree;
    return JSON.stringify({
      type: 'dir',
      name: e.name,
      mtimeMs: e.mtimeMs,
      mode: e.mode,
      tree: { id, pack, offset, length },
    });
  }
  return JSON.stringify({ type: 'symlink', name: e.name, mtimeMs: e.mtimeMs, target: e.target });
}

const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const SHA256 = /^[0-9a-f]{64}$/;
const PACK_ID = /^[0-9A-Za-z-]{1,64}$/;

/** What is wrong with a tree reference, or undefined. */
export function checkTreeRef(ref: unknown): string | undefined {
  if (!ref || typeof ref !== 'object') return 'not an object';
  const r = ref as Record<string, unknown>;
  if (typeof r.id !== 'string' || !SHA256.test(r.id)) return 'id';
  if (typeof r.pack !== 'string' || !PACK_ID.test(r.pack)) return 'pack';
  if (!isInt(r.offset)) return 'offset';
  if (!isInt(r.length) || r.length === 0) return 'length';
  return undefined;
}

/** A tree entry's fields checked by hand (a no-change backup reads every tree of its parent). */
function checkTreeEntry(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return 'not an object';
  const x = e as Record<string, unknown>;
  if (typeof x.name !== 'string' || x.name === '' || x.name === '.' || x.name === '..' || x.name.includes('/'))
    return 'name';
  if (typeof x.mtimeMs !== 'number') return 'mtimeMs';
  if (x.type === 'file') {
    if (!isInt(x.size)) return 'size';
    if (!isInt(x.mode)) return 'mode';
    if (typeof x.sha256 !== 'string' || !SHA256.test(x.sha256)) return 'sha256';
    if (x.pack !== undefined) {
      if (typeof x.pack !== 'string' || !PACK_ID.test(x.pack)) return 'pack';
      if (!isInt(x.packOffset)) return 'packOffset';
    }
    if (x.changedWhileRead !== undefined && typeof x.changedWhileRead !== 'boolean') return 'changedWhileRead';
  } else if (x.type === 'dir') {
    if (!isInt(x.mode)) return 'mode';
    const wrong = checkTreeRef(x.tree);
    if (wrong) return `tree.${wrong}`;
  } else if (x.type === 'symlink') {
    if (typeof x.target !== 'string') return 'target';
  } else return 'type';
  return undefined;
}

/**
 * A tree's entries from its stored bytes, checked against its id: a tree that does not hash to
 * its name is damaged, and so is one that is not a tree.
 */
export function decodeTree(body: Uint8Array, id: string, where: string): TreeEntry[] {
  const damaged = (why: string, cause?: unknown): ColdkeepError =>
    new ColdkeepError('SnapshotDamaged', `The folder tree ${id.slice(0, 12)}… in ${where} ${why}.`, {
      hint: 'The snapshot cannot be read past this folder: restore from another snapshot, or back up with {setting:parent=none} to store every tree anew.',
      details: { tree: id, where },
      ...(cause ? { cause } : {}),
    });
  let text: string;
  try {
    text = gunzipSync(body).toString('utf8');
  } catch (err) {
    throw damaged('is not gzip', err);
  }
  if (createHash('sha256').update(text).digest('hex') !== id) throw damaged('does not match its name');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw damaged('is not JSON', err);
  }
  const tree = json as { format?: unknown; formatVersion?: unknown; entries?: unknown };
  if (tree.format !== TREE_FORMAT || tree.formatVersion !== TREE_FORMAT_VERSION || !Array.isArray(tree.entries))
    throw damaged(`is not a ${TREE_FORMAT} ${TREE_FORMAT_VERSION}`);
  for (let i = 0; i < tree.entries.length; i++) {
    const wrong = checkTreeEntry(tree.entries[i]);
    if (wrong) throw damaged(`is not valid: entries.${i}.${wrong}`);
  }
  return tree.entries as TreeEntry[];
}

/** A tree entry as the snapshot entry at `path`. */
export function entryAt(e: TreeEntry, path: string): SnapshotEntry {
  if (e.type === 'dir') return { type: 'dir', path, mtimeMs: e.mtimeMs, mode: e.mode };
  const { name: _name, ...rest } = e;
  return { ...rest, path } as SnapshotEntry;
}

/** A snapshot entry as a tree entry (a folder with the tree it was given). */
export function treeEntryOf(e: SnapshotEntry, name: string, tree?: TreeRef): TreeEntry {
  if (e.type === 'dir') return { type: 'dir', name, mtimeMs: e.mtimeMs, mode: e.mode, tree: tree! };
  const { path: _path, ...rest } = e;
  return { ...rest, name } as TreeEntry;
}
