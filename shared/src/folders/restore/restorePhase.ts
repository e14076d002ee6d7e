import { lstat, lutimes, mkdir, symlink, unlink } from 'node:fs/promises';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { runPool } from '../../base/jobs/pool';
import { packKey } from '../repository/layout';
import { type PackSlice, PackTooShortError, readPackSlices } from '../repository/packReader';
import type { FileEntry } from '../repository/snapshotManifest';
import { damagedBlob } from './damageFound';
import type { SnapshotRestoreRun } from './restoreRun';
import { exists } from './restoreTarget';
import { downloadBlob, writeChecked } from './verifiedWrites';

/** A unit of restore work: a file with a blob of its own, or the files whose blobs share a pack. */
type RestoreTask = { file: FileEntry } | { pack: string; files: FileEntry[] };

/** A slice of a pack and the files with its content (in pack order, they are neighbours). */
type SharedSlice = PackSlice & { files: FileEntry[] };

/**
 * Phase "restore": the folders, then the files 8 at once (a pack, one ranged GET for all its
 * wanted files, or a blob of its own), then the links — last, so that no restored link can
 * redirect a file written after it. A damaged blob is collected in `run.damaged`, not thrown.
 */
export async function restoreEntries(run: SnapshotRestoreRun): Promise<void> {
  const { progress, target } = run;
  progress.phase = 'restore';
  run.emit();
  for (const d of run.dirs) await mkdir(target.destination(d.path), { recursive: true, mode: 0o700 });
  await runPool(
    restoreTasks(run.files),
    run.input.concurrency ?? 8,
    (task, poolSignal) =>
      'pack' in task ? restorePacked(run, task.pack, task.files, poolSignal) : restoreOwn(run, task.file, poolSignal),
    run.signal,
  );
  await restoreLinks(run);
}

function restoreTasks(files: FileEntry[]): RestoreTask[] {
  const own: RestoreTask[] = [];
  const packs = new Map<string, FileEntry[]>();
  for (const f of files) {
    if (f.pack === undefined) own.push({ file: f });
    else {
      const group = packs.get(f.pack);
      if (group) group.push(f);
      else packs.set(f.pack, [f]);
    }
  }
  return [...[...packs].map(([pack, group]) => ({ pack, files: group })), ...own];
}

/** False when the file exists and is left alone (then it counts as done). */
async function prepare(run: SnapshotRestoreRun, file: FileEntry, dest: string): Promise<boolean> {
  await run.target.checkParent(dest);
  if (!exists(dest)) return true;
  if (!run.input.overwrite) {
    run.skippedExisting.push(file.path);
    run.skippedFiles++;
    run.progress.filesDone++;
    run.emit();
    return false;
  }
  if ((await lstat(dest)).isDirectory()) {
    throw new ColdkeepError('RestoreFailed', `${dest} is a folder; the snapshot has a file there.`, {
      hint: 'Move the folder away, or restore into another target.',
    });
  }
  return true;
}

function done(run: SnapshotRestoreRun, file: FileEntry): void {
  run.progress.filesDone++;
  run.progress.bytesDone += file.size;
  run.emit();
}

async function restoreOwn(run: SnapshotRestoreRun, file: FileEntry, poolSignal: AbortSignal): Promise<void> {
  const dest = run.target.destination(file.path);
  if (!(await prepare(run, file, dest))) return;
  try {
    await downloadBlob(run.clients.s3, run.loc, run.target, file, dest, poolSignal, run.codec);
    done(run, file);
  } catch (err) {
    if (err instanceof ColdkeepError && err.code === 'ChecksumMismatch') run.damaged.push(err);
    else throw err;
  }
}

async function restorePacked(
  run: SnapshotRestoreRun,
  pack: string,
  group: FileEntry[],
  poolSignal: AbortSignal,
): Promise<void> {
  const { loc, target } = run;
  const wanted: FileEntry[] = [];
  for (const file of group) if (await prepare(run, file, target.destination(file.path))) wanted.push(file);
  try {
    await readPackSlices(
      run.clients.s3,
      loc,
      pack,
      sharedSlices(wanted),
      async (slice, body, actual) => {
        const sharing = slice.files;
        if (actual !== slice.sha256) {
          run.damaged.push(damagedBlob(sharing[0]!, packKey(loc, pack), actual, sharing));
          return;
        }
        for (const file of sharing) {
          await writeChecked(target, file, target.destination(file.path), body);
          done(run, file);
        }
      },
      poolSignal,
      run.codec,
    );
  } catch (err) {
    // The files before the break are written; the ones the pack cannot hold are reported.
    if (!(err instanceof PackTooShortError)) throw err;
    // unread holds the slice objects given, so their files too.
    const paths = (err.unread as SharedSlice[]).flatMap((slice) => slice.files.map((f) => f.path));
    run.damaged.push(
      new ColdkeepError('ChecksumMismatch', err.message, {
        hint: err.hintTemplate,
        details: { path: paths[0], paths: paths.slice(0, 100), key: packKey(loc, pack) },
      }),
    );
  }
}

/** The slices to read, in pack order: files with the same content share one slice. */
function sharedSlices(wanted: FileEntry[]): SharedSlice[] {
  const slices: SharedSlice[] = [];
  wanted.sort((a, b) => (a.packOffset ?? 0) - (b.packOffset ?? 0) || a.size - b.size);
  for (const file of wanted) {
    const last = slices[slices.length - 1];
    if (last && last.packOffset === (file.packOffset ?? 0) && last.size === file.size) last.files.push(file);
    else
      slices.push({
        sha256: file.sha256,
        packOffset: file.packOffset ?? 0,
        size: file.size,
        ...(file.storedSize !== undefined ? { storedSize: file.storedSize } : {}),
        files: [file],
      });
  }
  return slices;
}

async function restoreLinks(run: SnapshotRestoreRun): Promise<void> {
  for (const link of run.links) {
    const dest = run.target.destination(link.path);
    await run.target.checkParent(dest);
    if (exists(dest)) {
      if (!run.input.overwrite) {
        run.skippedExisting.push(link.path);
        continue;
      }
      await unlink(dest);
    }
    await symlink(link.target, dest);
    await lutimes(dest, link.mtimeMs / 1000, link.mtimeMs / 1000).catch(() => undefined);
  }
}
