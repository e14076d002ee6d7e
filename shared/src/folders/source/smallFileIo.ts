import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { closeSync, fchmodSync, fstatSync, futimesSync, openSync, readSync, renameSync, writeSync } from 'node:fs';

/**
 * Files up to this size are read and written with synchronous calls. Each promise-based call is
 * a round trip through libuv's thread pool: for 100,000 files of a few KiB, reading them with
 * `readFile` + `stat` took 10 s of CPU, the same work done synchronously 1.2 s. A synchronous
 * call on a small file holds the event loop for tens of microseconds, which uploads and
 * downloads in flight do not notice.
 */
export const SYNC_IO_LIMIT = 64 * 1024;

/** A buffer for `length` bytes: `into` when it is big enough, else a new one. */
function bufferFor(length: number, into: Buffer | undefined): Buffer {
  return into && into.length >= length ? into : Buffer.allocUnsafe(length);
}

/** The same bytes in a buffer twice as big (the file grew since it was sized). */
function grown(buffer: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(bigger);
  return bigger;
}

/**
 * Reads a whole file through one descriptor: the content (in `into` when it fits, so a caller
 * can reuse one buffer for many files), and the file's stats after the read, from the same
 * descriptor, so they describe what was read. Synchronous: for small files (SYNC_IO_LIMIT).
 */
export function readWholeSync(absPath: string, sizeHint: number, into?: Buffer): { body: Buffer; after: Stats } {
  const fd = openSync(absPath, 'r');
  try {
    // One byte more than expected tells a file that grew since the walk.
    let buffer = bufferFor(sizeHint + 1, into);
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = grown(buffer);
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return { body: buffer.subarray(0, length), after: fstatSync(fd) };
  } finally {
    closeSync(fd);
  }
}

/** `readWholeSync` for bigger files, through the thread pool. */
export async function readWhole(
  absPath: string,
  sizeHint: number,
  into?: Buffer,
): Promise<{ body: Buffer; after: Stats }> {
  const handle = await open(absPath, 'r');
  try {
    let buffer = bufferFor(sizeHint + 1, into);
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = grown(buffer);
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { body: buffer.subarray(0, length), after: await handle.stat() };
  } finally {
    await handle.close();
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
