import type { StoredObject } from '../repository/blobStore';
import type { FileEntry } from '../repository/snapshotManifest';

/**
 * How a file's content is stored (snapshotManifest.ts, blobStore.ts): a slice of a pack (small
 * files), a blob of its own written with one request, a big blob (a blob of its own uploaded in
 * parts, streamed on restore), or nothing to read at all (an empty file). A drill restores at
 * least one file of each kind the snapshot uses: each is written and read by another path.
 */
export type StorageKind = 'packed' | 'blob' | 'big-blob' | 'empty';

export const STORAGE_KINDS: readonly StorageKind[] = ['packed', 'blob', 'big-blob', 'empty'];

/** A multipart upload's ETag (as a token: quotes dropped) is "<md5 of the parts' md5s>-<parts>" on S3. */
const MULTIPART_ETAG = /-\d+$/;
/** The backup's default multipart threshold (backupRun.ts): what tells a big blob where the store's ETag does not (emulators). */
const BIG_BLOB_OVER = 8 * 1024 * 1024;

export function storageKindOf(file: FileEntry, object: StoredObject | undefined): StorageKind {
  if (file.size === 0) return 'empty';
  if (file.pack !== undefined) return 'packed';
  return file.size > BIG_BLOB_OVER || (object && MULTIPART_ETAG.test(object.etag)) ? 'big-blob' : 'blob';
}

/** A file the sample may take, with what it must cover (its storage kind; "archived" when thawed). */
export interface SampleCandidate {
  file: FileEntry;
  kind: StorageKind;
  /** The object its content sits in (blob or pack). */
  key: string;
  object: StoredObject;
  /** The object sits in a Glacier class (read only after a retrieval). */
  archived: boolean;
}

/**
 * A random sample of `size` candidates ("all": every one) that holds at least one candidate of
 * each storage kind present, and one whose data is archived when some are (so a --thaw drill
 * reads Glacier data too): those come first, so the sample may be larger than `size`.
 */
export function chooseSample(
  candidates: readonly SampleCandidate[],
  size: number | 'all',
  random: () => number = Math.random,
): SampleCandidate[] {
  if (size === 'all' || size >= candidates.length) return [...candidates];
  const pool = [...candidates];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const taken = new Set<SampleCandidate>();
  const covered = new Set<string>();
  for (const c of pool) {
    const tags = [c.kind, ...(c.archived ? ['archived'] : [])];
    if (tags.some((t) => !covered.has(t))) {
      taken.add(c);
      for (const t of tags) covered.add(t);
    }
  }
  for (const c of pool) {
    if (taken.size >= size) break;
    taken.add(c);
  }
  return pool.filter((c) => taken.has(c));
}

/** Counts per storage kind, in STORAGE_KINDS order, kinds with none left out. */
export function countByKind(items: readonly { kind: StorageKind }[]): Partial<Record<StorageKind, number>> {
  const counts: Partial<Record<StorageKind, number>> = {};
  for (const kind of STORAGE_KINDS) {
    const n = items.filter((i) => i.kind === kind).length;
    if (n) counts[kind] = n;
  }
  return counts;
}
