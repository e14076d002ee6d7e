import type { Stats } from 'node:fs';
import { lstat, opendir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../jobs';
import { type ExcludeRules, isExcluded } from './excludes';

export type WalkItem =
  | { type: 'file'; path: string; absPath: string; stats: Stats }
  | { type: 'dir'; path: string; absPath: string; stats: Stats }
  | { type: 'symlink'; path: string; absPath: string; stats: Stats; target: string }
  | { type: 'skipped'; path: string; reason: string };

export interface WalkOptions {
  excludes: ExcludeRules;
  /** Files larger than this are skipped (with a note). */
  maxFileSize?: number;
  signal?: AbortSignal;
}

function describeSpecial(stats: Stats): string {
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'named pipe';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'special file';
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

/**
 * Walks a folder depth-first, in sorted order, one directory listing in memory at a time, and
 * yields what a snapshot holds. Excluded paths are never entered; special files and paths that
 * cannot be read are yielded as "skipped" with the reason, so the report can name them.
 * Symlinks are yielded as links and never followed.
 */
export async function* walkFolder(root: string, options: WalkOptions): AsyncGenerator<WalkItem> {
  async function* walkDir(absDir: string, relDir: string): AsyncGenerator<WalkItem> {
    let names: string[];
    try {
      const dir = await opendir(absDir);
      names = [];
      for await (const dirent of dir) names.push(dirent.name);
    } catch (err) {
      yield { type: 'skipped', path: relDir || '.', reason: `cannot list the folder (${errorCode(err)})` };
      return;
    }
    // Byte order, not locale order: the same on every machine.
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      throwIfAborted(options.signal);
      const path = relDir ? `${relDir}/${name}` : name;
      const absPath = join(absDir, name);
      let stats: Stats;
      try {
        stats = await lstat(absPath);
      } catch (err) {
        if (errorCode(err) === 'ENOENT') continue; // removed since the listing
        yield { type: 'skipped', path, reason: `cannot read its attributes (${errorCode(err)})` };
        continue;
      }
      const isDir = stats.isDirectory();
      if (isExcluded(options.excludes, path, isDir)) continue;
      if (isDir) {
        yield { type: 'dir', path, absPath, stats };
        yield* walkDir(absPath, path);
      } else if (stats.isFile()) {
        if (options.maxFileSize !== undefined && stats.size > options.maxFileSize) {
          yield { type: 'skipped', path, reason: `larger than the size limit (${stats.size} bytes)` };
        } else {
          yield { type: 'file', path, absPath, stats };
        }
      } else if (stats.isSymbolicLink()) {
        try {
          yield { type: 'symlink', path, absPath, stats, target: await readlink(absPath) };
        } catch (err) {
          yield { type: 'skipped', path, reason: `cannot read the link (${errorCode(err)})` };
        }
      } else {
        yield { type: 'skipped', path, reason: `${describeSpecial(stats)}, not backed up` };
      }
    }
  }
  yield* walkDir(root, '');
}
