import type { S3Client } from '@aws-sdk/client-s3';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { mayBeArchived } from '../../storage/archiveClasses';
import { listBlobs, listPacks } from '../repository/blobStore';
import { blobKey, packKey, type SourceLocation } from '../repository/layout';
import type { ObjectCodec } from '../repository/objectCodec';
import { readSnapshot, resolveSnapshotId } from '../repository/snapshotCatalog';
import { snapshotEntries } from '../repository/snapshotEntries';
import type { FileEntry } from '../repository/snapshotManifest';
import { recordFound, REPAIR_COMMAND } from './damageFound';
import { foldersToRead, selectEntries } from './pathSelection';
import type { DirEntry, LinkEntry, RestoreStart, SnapshotRestorePlan } from './restoreRun';

/**
 * Phase "plan": resolve the id (`latest` or a unique start), read the manifest (and the trees
 * the paths asked for need), select the
 * entries asked for, and find which of the objects they need are archived (or missing: then the
 * restore fails before anything is written).
 */
export async function planSnapshotRestore(start: RestoreStart): Promise<SnapshotRestorePlan> {
  const { clients, input, loc, signal, progress } = start;
  const snapshotId = await resolveSnapshotId(clients.s3, loc, input.snapshotId, signal);
  progress.snapshotId = snapshotId;
  const manifest = await readSnapshot(clients.s3, loc, snapshotId, signal, start.keyring);
  const codec = await start.keyring.codecFor(manifest);
  // Format 3: only the trees of the folders on the way to the paths asked for, and under them.
  const { entries } = await snapshotEntries(clients.s3, loc, manifest, {
    descend: foldersToRead(input.paths),
    signal,
    codec,
  });
  const selected = selectEntries(entries, input.paths);
  const files = selected.filter((e): e is FileEntry => e.type === 'file');
  const dirs = selected.filter((e): e is DirEntry => e.type === 'dir');
  const links = selected.filter((e): e is LinkEntry => e.type === 'symlink');
  progress.files = files.length;
  progress.bytes = files.reduce((n, f) => n + f.size, 0);
  const archived = await archivedObjects(clients.s3, loc, snapshotId, files, codec, signal);
  return { snapshotId, codec, files, dirs, links, archived };
}

/**
 * The objects (blobs of their own, packs) the selected files need that sit in an archive class,
 * from one listing each (not a request per object); missing ones fail the restore before
 * anything is written. A function of its own so that the listings are garbage once read.
 */
async function archivedObjects(
  s3: S3Client,
  loc: SourceLocation,
  snapshotId: string,
  files: FileEntry[],
  codec: ObjectCodec,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  // Blobs by object name: the SHA-256, or in an encrypted snapshot its keyed hash.
  const neededBlobs = new Set<string>();
  const neededPacks = new Set<string>();
  const nameOf = (f: FileEntry): string => codec.blobName(f.sha256);
  for (const f of files) {
    if (f.pack === undefined) neededBlobs.add(nameOf(f));
    else neededPacks.add(f.pack);
  }
  const [blobs, packs] = await Promise.all([
    neededBlobs.size ? listBlobs(s3, loc, signal) : new Map<string, { storageClass: string }>(),
    neededPacks.size ? listPacks(s3, loc, signal) : new Map<string, { storageClass: string }>(),
  ]);
  const lost = files.filter((f) => (f.pack === undefined ? !blobs.has(nameOf(f)) : !packs.has(f.pack)));
  if (lost.length) {
    const keyOf = (f: FileEntry): string => (f.pack === undefined ? blobKey(loc, nameOf(f)) : packKey(loc, f.pack));
    const missing = [...new Set(lost.map(keyOf))];
    const recording = await recordFound(
      s3,
      loc,
      snapshotId,
      lost.map((f) => ({ key: keyOf(f), problem: 'missing', paths: [f.path] })),
      signal,
      undefined,
      codec.sealed,
    );
    throw new ColdkeepError(
      'RestoreFailed',
      `${missing.length} object(s) the snapshot needs are missing from the bucket (e.g. for ${lost[0]!.path}). Nothing was restored.`,
      {
        hint: `Restore these files from another snapshot, or the rest with a path filter; "${REPAIR_COMMAND}" stores again what the folder still holds.`,
        details: { missing: missing.slice(0, 100), paths: lost.slice(0, 100).map((f) => f.path), recording },
      },
    );
  }
  return [
    ...[...neededBlobs].filter((sha) => mayBeArchived(blobs.get(sha)!.storageClass)).map((sha) => blobKey(loc, sha)),
    ...[...neededPacks].filter((id) => mayBeArchived(packs.get(id)!.storageClass)).map((id) => packKey(loc, id)),
  ];
}
