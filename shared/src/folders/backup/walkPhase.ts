import type { Stats } from 'node:fs';
import type { FileEntry } from '../repository/snapshotManifest';
import { walkFolder } from '../source/walk';
import type { FolderBackupRun } from './backupRun';

/** A file to read and store, with its reserved place in the manifest (walk order). */
export interface FileTask {
  index: number;
  path: string;
  absPath: string;
  /** The walk's stats: the "before" of the first read. */
  stats: Stats;
}

/**
 * The walk, as the scan phase's source of work. Directories, links and skips are recorded as the
 * walk meets them, and so are files unchanged since the parent; the other files get their place
 * in walk order and are filled in by the workers (the writer keeps the order).
 */
export async function* fileTasks(run: FolderBackupRun): AsyncGenerator<FileTask> {
  const { manifest, progress, counts } = run;
  for await (const item of walkFolder(run.dir, {
    excludes: run.excludes,
    maxFileSize: run.input.maxFileSize,
    signal: run.signal,
  })) {
    if (item.type === 'skipped') {
      const { type: _walkItem, ...left } = item;
      run.skipped.push(left);
      if (left.kind !== 'vanished') progress.skipped++;
    } else if (item.type === 'dir') {
      counts.dirs++;
      manifest.add({ type: 'dir', path: item.path, mtimeMs: item.stats.mtimeMs, mode: item.stats.mode & 0o7777 });
    } else if (item.type === 'symlink') {
      counts.symlinks++;
      manifest.add({ type: 'symlink', path: item.path, mtimeMs: item.stats.mtimeMs, target: item.target });
    } else {
      const previous = unchangedEntry(run, item.path, item.stats);
      if (previous) {
        const mode = item.stats.mode & 0o7777;
        // The parent's own entry when nothing differs: 100,000 entries are not copied.
        manifest.add(previous.mode === mode ? previous : { ...previous, mode });
        progress.unchangedFiles++;
        progress.files++;
        progress.bytes += previous.size;
        if (progress.files % 1000 === 0) run.emit();
        continue;
      }
      yield { index: manifest.reserve(), path: item.path, absPath: item.absPath, stats: item.stats };
    }
  }
}

/**
 * The parent's entry of a file unchanged since (same size and mtime): not read, and no task for
 * the pool. A file stored while it changed is read again, even when size and mtime match, and so
 * is one whose stored copy was found damaged (it is stored again).
 */
function unchangedEntry(run: FolderBackupRun, path: string, stats: Stats): FileEntry | undefined {
  const previous = run.parentFiles.get(path);
  return previous &&
    !previous.changedWhileRead &&
    previous.size === stats.size &&
    previous.mtimeMs === stats.mtimeMs &&
    !run.damaged.holds(previous)
    ? previous
    : undefined;
}
