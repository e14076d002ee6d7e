import type { S3Client } from '@aws-sdk/client-s3';
import type { SourceLocation } from './layout';
import { readSnapshot } from './snapshotCatalog';
import type { SnapshotEntry, SnapshotManifest } from './snapshotManifest';
import { type TreeWalk, walkTrees } from './treeStore';

/** Every folder: the whole snapshot. */
export const EVERY_FOLDER = (): boolean => true;

/**
 * A snapshot's entries in walk order, whatever its format: formats 1 and 2 hold them in the
 * manifest; format 3 in its trees, read from the root one level at a time, entering only the
 * folders `descend` accepts (pathSelection.ts `foldersToRead`: a restore of one path reads only
 * the trees on that path). `trees` holds every tree read (format 3), for a backup to reuse.
 */
export async function snapshotEntries(
  s3: S3Client,
  loc: SourceLocation,
  manifest: SnapshotManifest,
  { descend = EVERY_FOLDER, signal }: { descend?: (dirPath: string) => boolean; signal?: AbortSignal } = {},
): Promise<TreeWalk> {
  if (manifest.tree) return walkTrees(s3, loc, manifest.tree, descend, signal);
  return { entries: manifest.entries ?? [], trees: new Map() };
}

/** The entries of a snapshot by id, whatever its format: its manifest, then its trees. */
export async function readSnapshotEntries(
  s3: S3Client,
  loc: SourceLocation,
  snapshotId: string,
  signal?: AbortSignal,
): Promise<SnapshotEntry[]> {
  const manifest = await readSnapshot(s3, loc, snapshotId, signal);
  return (await snapshotEntries(s3, loc, manifest, { signal })).entries;
}
