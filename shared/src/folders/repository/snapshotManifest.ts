import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { z } from 'zod';
import { releaseBuffer } from '../../base/aws/responseBody';
import { ColdkeepError } from '../../base/errors/ColdkeepError';

export const SNAPSHOT_FORMAT = 'coldkeep.folder-snapshot';
/**
 * 3: the entries are folder trees stored by content (folderTree.ts), the manifest names the root
 * tree; plain (gzip) or, for an encrypted source, sealed (objectCodec.ts: the manifest, trees,
 * pack indexes, blobs and pack entries are sealed, blobs and trees are named by a keyed hash, a
 * file entry says how many bytes its sealed blob takes, `storedSize`, and the manifest says
 * `encrypted: true`). 2 added packs: a file entry may name the pack its blob sits in. Versions 1
 * and 2 are plain, hold every entry in the manifest, and are still read (snapshotEntries.ts).
 */
export const SNAPSHOT_FORMAT_VERSION = 3;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** Paths are relative to the snapshot's root, "/"-separated, never "." or "..". */
const entry = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('file'),
    path: z.string().min(1),
    size: z.number().int().nonnegative(),
    /** Milliseconds since the epoch, with the sub-millisecond fraction the filesystem gave. */
    mtimeMs: z.number(),
    /** Permission bits (mode & 0o7777). */
    mode: z.number().int().nonnegative(),
    sha256,
    /** The pack holding the blob (small files); absent when the blob is an object of its own. */
    pack: z.string().optional(),
    /** Where the blob starts in the pack; it is `size` bytes long (`storedSize` in format 3). */
    packOffset: z.number().int().nonnegative().optional(),
    /** Format 3: bytes the sealed blob takes in the bucket (its object, or its slice of the pack). */
    storedSize: z.number().int().nonnegative().optional(),
    /**
     * The file kept changing while it was read: stored as last read (it may mix old and new
     * writes). Absent in older snapshots, and when the file was read still.
     */
    changedWhileRead: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('dir'),
    path: z.string().min(1),
    mtimeMs: z.number(),
    mode: z.number().int().nonnegative(),
  }),
  z.object({
    type: z.literal('symlink'),
    path: z.string().min(1),
    mtimeMs: z.number(),
    /** The link's target, as stored in the link (not resolved). */
    target: z.string(),
  }),
]);

export const snapshotManifestSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  formatVersion: z.union([z.literal(1), z.literal(2), z.literal(SNAPSHOT_FORMAT_VERSION)]),
  /** Format 3 of an encrypted source: the manifest (and every object it leads to) is sealed. */
  encrypted: z.literal(true).optional(),
  snapshotId: z.string(),
  source: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  host: z.string(),
  /** The folder backed up, as an absolute path on its host. */
  dir: z.string(),
  parent: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  files: z.number().int().nonnegative(),
  dirs: z.number().int().nonnegative(),
  symlinks: z.number().int().nonnegative(),
  /** Sum of the sizes of the files. */
  bytes: z.number().int().nonnegative(),
  excludes: z.array(z.string()),
  /**
   * What the walk left out, and why (special files, unreadable, over the size limit, vanished).
   * `kind`, `entry` and `whatToDo` are absent in older snapshots.
   */
  skipped: z.array(
    z.object({
      path: z.string(),
      reason: z.string(),
      kind: z.enum(['unreadable', 'vanished', 'special', 'over-size-limit']).optional(),
      entry: z.enum(['file', 'folder']).optional(),
      whatToDo: z.string().optional(),
    }),
  ),
  storage: z.object({
    lifecycleTag: z.object({ key: z.string(), value: z.string() }).optional(),
    sse: z.object({ type: z.enum(['AES256', 'aws:kms']), kmsKeyId: z.string().optional() }).optional(),
    objectLock: z.object({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), retainUntil: z.string() }).optional(),
  }),
  /** Formats 1 and 2: every entry, in walk order. */
  entries: z.array(entry).optional(),
  /** Format 3: the root folder's tree (checked by `checkTreeRef`). */
  tree: z.object({ id: sha256, pack: z.string(), offset: z.number().int(), length: z.number().int() }).optional(),
});

/** The manifest without its entries, checked by zod; entries are checked by `checkEntry` (100,000s of them). */
const headerSchema = snapshotManifestSchema.extend({ entries: z.array(z.unknown()).optional() });

export type SnapshotManifest = z.infer<typeof snapshotManifestSchema>;
export type SnapshotEntry = z.infer<typeof entry>;
export type FileEntry = Extract<SnapshotEntry, { type: 'file' }>;

const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const SHA256 = /^[0-9a-f]{64}$/;
const PACK_ID = /^[0-9A-Za-z-]{1,64}$/;

/** What is wrong with a tree reference (format 3: the root's, a folder's in its parent's tree), or undefined. */
export function checkTreeRef(ref: unknown): string | undefined {
  if (!ref || typeof ref !== 'object') return 'not an object';
  const r = ref as Record<string, unknown>;
  if (typeof r.id !== 'string' || !SHA256.test(r.id)) return 'id';
  if (typeof r.pack !== 'string' || !PACK_ID.test(r.pack)) return 'pack';
  if (!isInt(r.offset)) return 'offset';
  if (!isInt(r.length) || r.length === 0) return 'length';
  return undefined;
}

/**
 * What the zod schema says about one entry, by hand: zod takes seconds over a few hundred
 * thousand entries, and a no-change backup reads its parent's every time.
 */
function checkEntry(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return 'not an object';
  const x = e as Record<string, unknown>;
  if (typeof x.path !== 'string' || x.path === '') return 'path';
  return checkEntryFields(x);
}

/**
 * An entry's fields after its path or name, by type: the same in a manifest (formats 1 and 2)
 * and in a folder tree (format 3), where a folder also names its tree (`dirFields`).
 */
export function checkEntryFields(
  x: Record<string, unknown>,
  dirFields: (dir: Record<string, unknown>) => string | undefined = () => undefined,
): string | undefined {
  if (typeof x.mtimeMs !== 'number') return 'mtimeMs';
  if (x.type === 'file') {
    if (!isInt(x.size)) return 'size';
    if (!isInt(x.mode)) return 'mode';
    if (typeof x.sha256 !== 'string' || !SHA256.test(x.sha256)) return 'sha256';
    if (x.pack !== undefined) {
      if (typeof x.pack !== 'string' || !PACK_ID.test(x.pack)) return 'pack';
      if (!isInt(x.packOffset)) return 'packOffset';
    }
    if (x.storedSize !== undefined && !isInt(x.storedSize)) return 'storedSize';
    if (x.changedWhileRead !== undefined && typeof x.changedWhileRead !== 'boolean') return 'changedWhileRead';
  } else if (x.type === 'dir') {
    if (!isInt(x.mode)) return 'mode';
    return dirFields(x);
  } else if (x.type === 'symlink') {
    if (typeof x.target !== 'string') return 'target';
  } else return 'type';
  return undefined;
}

/** Reads a gzip JSON snapshot manifest; a clear error says what is wrong with it. */
export async function decodeSnapshot(body: Uint8Array, where: string): Promise<SnapshotManifest> {
  let json: unknown;
  try {
    // One output chunk of the size the gzip trailer states (ISIZE, the size mod 4 GiB): zlib
    // would otherwise gather 16 KiB chunks and copy them into one buffer at the end.
    const stated =
      body.length >= 18 ? Buffer.from(body.buffer, body.byteOffset, body.length).readUInt32LE(body.length - 4) : 0;
    const chunkSize = Math.min(Math.max(stated, 64 * 1024), 1024 * 1024 * 1024);
    const text = await promisify(gunzip)(body, { chunkSize });
    const decoded = text.toString('utf8');
    // The text is a copy now: its ~24 MB (at 100,000 files) are freed here, not at some later GC.
    releaseBuffer(text);
    json = JSON.parse(decoded);
  } catch (err) {
    throw new ColdkeepError('ManifestInvalid', `The snapshot at ${where} is not gzip JSON.`, {
      hint: 'The object is damaged or is not a Coldkeep snapshot; pick another snapshot.',
      cause: err,
    });
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ColdkeepError(
      'ManifestInvalid',
      `The snapshot at ${where} is not valid: ${issue.path.join('.') || '(root)'}: ${issue.message}.`,
      { hint: 'It may come from a newer Coldkeep; upgrade, or pick another snapshot.' },
    );
  }
  const invalid = (what: string): ColdkeepError =>
    new ColdkeepError('ManifestInvalid', `The snapshot at ${where} is not valid: ${what}.`, {
      hint: 'It may come from a newer Coldkeep; upgrade, or pick another snapshot.',
    });
  if (parsed.data.formatVersion === 3) {
    if (parsed.data.entries !== undefined) throw invalid('a format 3 snapshot holds trees, not entries');
    const wrong = checkTreeRef(parsed.data.tree);
    if (wrong) throw invalid(`tree.${wrong}`);
    return parsed.data as SnapshotManifest;
  }
  if (!parsed.data.entries) throw invalid('entries: Required');
  const entries = parsed.data.entries;
  for (let i = 0; i < entries.length; i++) {
    const wrong = checkEntry(entries[i]);
    if (wrong) {
      throw new ColdkeepError('ManifestInvalid', `The snapshot at ${where} is not valid: entries.${i}.${wrong}.`, {
        hint: 'It may come from a newer Coldkeep; upgrade, or pick another snapshot.',
      });
    }
  }
  for (const e of entries as SnapshotEntry[]) {
    if (e.path.startsWith('/') || e.path.split('/').some((part) => part === '..' || part === '.' || part === '')) {
      throw new ColdkeepError('ManifestInvalid', `The snapshot at ${where} holds an unsafe path "${e.path}".`, {
        hint: 'Refusing to restore outside the target folder; the snapshot was not written by Coldkeep.',
      });
    }
  }
  return parsed.data as SnapshotManifest;
}
