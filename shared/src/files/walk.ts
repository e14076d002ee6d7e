import { Stats } from 'node:fs';
import { lstat, opendir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../jobs';
import { type ExcludeRules, isExcluded } from './excludes';

const STAT_BATCH = 64;

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
    // lstat a batch of names at once: the thread pool works on several while we wait.
    const statted: (Stats | NodeJS.ErrnoException)[] = new Array<Stats | NodeJS.ErrnoException>(names.length);
    for (let start = 0; start < names.length; start += STAT_BATCH) {
      const batch = names.slice(start, start + STAT_BATCH);
      const results = await Promise.all(
        batch.map((name) => lstat(join(absDir, name)).catch((err: NodeJS.ErrnoException) => err)),
      );
      results.forEach((r, i) => (statted[start + i] = r));
    }
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      throwIfAborted(options.signal);
      const path = relDir ? `${relDir}/${name}` : name;
      const absPath = join(absDir, name);
      const stats = statted[i]!;
      if (!(stats instanceof Stats)) {
        if (errorCode(stats) === 'ENOENT') continue; // removed since the listing
        yield { type: 'skipped', path, reason: `cannot read its attributes (${errorCode(stats)})` };
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
