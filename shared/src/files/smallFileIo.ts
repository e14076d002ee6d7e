import type { Stats } from 'node:fs';
import { closeSync, fchmodSync, fstatSync, futimesSync, openSync, readSync, renameSync, writeSync } from 'node:fs';

/**
 * Files up to this size are read and written with synchronous calls. Each promise-based call is
 * a round trip through libuv's thread pool: for 100,000 files of a few KiB, reading them with
 * `readFile` + `stat` took 10 s of CPU, the same work done synchronously 1.2 s. A synchronous
 * call on a small file holds the event loop for tens of microseconds, which uploads and
 * downloads in flight do not notice.
 */
export const SYNC_IO_LIMIT = 64 * 1024;

/**
 * Reads a whole small file through one descriptor: the content, and the file's stats after
 * the read (from the same descriptor, so they describe what was read).
 */
export function readWholeSync(absPath: string, sizeHint: number): { body: Buffer; after: Stats } {
  const fd = openSync(absPath, 'r');
  try {
    // One byte more than expected tells a file that grew since the walk.
    let buffer = Buffer.allocUnsafe(sizeHint + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return { body: buffer.subarray(0, length), after: fstatSync(fd) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a small file whole under a temporary name, with its mode and mtime, and moves it into
 * place: a reader never sees a part of it.
 */
export function writeWholeSync(tempPath: string, finalPath: string, body: Buffer, mode: number, mtimeMs: number): void {
  const fd = openSync(tempPath, 'wx', 0o600);
  try {
    let written = 0;
    while (written < body.length) written += writeSync(fd, body, written, body.length - written);
    // Not through open's mode, which the umask would trim.
    fchmodSync(fd, mode);
    futimesSync(fd, mtimeMs / 1000, mtimeMs / 1000);
  } finally {
    closeSync(fd);
  }
  renameSync(tempPath, finalPath);
}
