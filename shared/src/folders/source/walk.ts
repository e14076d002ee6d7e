import { lstatSync, type Stats } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import { sep } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { throwIfAborted } from '../../base/jobs/job';
import { type LeftOut } from '../../base/jobs/jobOutcome';
import { type ExcludeRules, isExcludedEntry } from './excludes';
import { unreadable, vanished } from './leftOut';

/**
 * Names lstat-ed per turn of the event loop. The walk stats synchronously: for the 100,000s of
 * entries of a no-change backup, `fs.promises.lstat` cost ~6x the CPU (a promise, a thread-pool
 * hop and a wake-up per call; bench/README.md). Between slices the walk gives the event loop a
 * turn, so uploads, timers and progress keep going even on a slow (network) disk.
 */
const STAT_SLICE = 256;

export type WalkItem =
  | { type: 'file'; path: string; absPath: string; stats: Stats }
  | { type: 'dir'; path: string; absPath: string; stats: Stats }
  | { type: 'symlink'; path: string; absPath: string; stats: Stats; target: string }
  /** Left out, with why and what to do (an unreadable path makes the backup partial). */
  | ({ type: 'skipped' } & LeftOut);

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

/** A directory being walked: its sorted names, and the stats of the current slice of them. */
interface Listing {
  absDir: string;
  relDir: string;
  names: string[];
  /** Index of the next name to yield. */
  next: number;
  /** Stats (or the error code) of names[sliceStart…], read one slice at a time. */
  sliceStart: number;
  slice: (Stats | string)[];
}

/** `join` without its normalisation: names from a listing never hold a separator. */
function childPath(absDir: string, name: string): string {
  return absDir.endsWith(sep) ? absDir + name : absDir + sep + name;
}

function skipped(left: LeftOut): WalkItem {
  return { type: 'skipped', ...left };
}

async function list(absDir: string, relDir: string): Promise<Listing | WalkItem> {
  let names: string[];
  try {
    names = await readdir(absDir);
  } catch (err) {
    const code = errorCode(err);
    const path = relDir || '.';
    return skipped(
      code === 'ENOENT' ? vanished(path, 'folder') : unreadable(path, absDir, 'folder', code, 'cannot list the folder'),
    );
  }
  // Byte order, not locale order: the same on every machine.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { absDir, relDir, names, next: 0, sliceStart: 0, slice: [] };
}

function statSlice(listing: Listing): void {
  const end = Math.min(listing.names.length, listing.next + STAT_SLICE);
  listing.sliceStart = listing.next;
  listing.slice = [];
  for (let i = listing.next; i < end; i++) {
    try {
      // undefined: removed since the listing.
      listing.slice.push(
        lstatSync(childPath(listing.absDir, listing.names[i]!), { throwIfNoEntry: false }) ?? 'ENOENT',
      );
    } catch (err) {
      listing.slice.push(errorCode(err));
    }
  }
}

/**
 * Walks a folder depth-first, in sorted order, and yields what a snapshot holds. Only the
 * listings of the directories on the current path are in memory. Excluded paths are never
 * entered; special files and paths that cannot be read are yielded as "skipped" with the reason,
 * so the report can name them. Symlinks are yielded as links and never followed.
 */
export async function* walkFolder(root: string, options: WalkOptions): AsyncGenerator<WalkItem> {
  // An explicit stack, not recursion: each item passes through one generator, not one per level.
  const stack: Listing[] = [];
  const top = await list(root, '');
  if ('type' in top) {
    yield top;
    return;
  }
  stack.push(top);
  while (stack.length > 0) {
    const listing = stack[stack.length - 1]!;
    if (listing.next >= listing.names.length) {
      stack.pop();
      continue;
    }
    if (listing.next >= listing.sliceStart + listing.slice.length) {
      await nextTurn();
      statSlice(listing);
    }
    throwIfAborted(options.signal);
    const name = listing.names[listing.next]!;
    const stats = listing.slice[listing.next - listing.sliceStart]!;
    listing.next++;
    const path = listing.relDir ? `${listing.relDir}/${name}` : name;
    if (typeof stats === 'string') {
      if (stats === 'ENOENT') yield skipped(vanished(path, 'file'));
      else
        yield skipped(unreadable(path, childPath(listing.absDir, name), 'file', stats, 'cannot read its attributes'));
      continue;
    }
    const isDir = stats.isDirectory();
    if (isExcludedEntry(options.excludes, path, name, isDir)) continue;
    const absPath = childPath(listing.absDir, name);
    if (isDir) {
      yield { type: 'dir', path, absPath, stats };
      const inner = await list(absPath, path);
      if ('type' in inner) yield inner;
      else stack.push(inner);
    } else if (stats.isFile()) {
      if (options.maxFileSize !== undefined && stats.size > options.maxFileSize) {
        yield skipped({
          path,
          kind: 'over-size-limit',
          entry: 'file',
          reason: `larger than the size limit (${stats.size} bytes)`,
          whatToDo: 'Raise --max-file-size to back it up.',
        });
      } else {
        yield { type: 'file', path, absPath, stats };
      }
    } else if (stats.isSymbolicLink()) {
      try {
        yield { type: 'symlink', path, absPath, stats, target: await readlink(absPath) };
      } catch (err) {
        const code = errorCode(err);
        yield skipped(
          code === 'ENOENT' ? vanished(path, 'file') : unreadable(path, absPath, 'file', code, 'cannot read the link'),
        );
      }
    } else {
      yield skipped({
        path,
        kind: 'special',
        entry: 'file',
        reason: `${describeSpecial(stats)}, not backed up`,
        whatToDo: 'Nothing to do: sockets, pipes and devices are never backed up.',
      });
    }
  }
}
