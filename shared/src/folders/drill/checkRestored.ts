import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { FileEntry } from '../repository/snapshotManifest';

/**
 * Reads a restored file back from the disk and hashes it: the restore checked the bytes it
 * downloaded, this checks what landed in the folder. Undefined when the file is as the snapshot says.
 */
export async function checkRestoredFile(
  file: FileEntry,
  path: string,
  signal?: AbortSignal,
): Promise<{ problem: 'not-written' | 'on-disk-mismatch'; detail: string } | undefined> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats?.isFile()) return { problem: 'not-written', detail: 'not in the restored folder' };
  if (stats.size !== file.size)
    return { problem: 'on-disk-mismatch', detail: `${stats.size} bytes on disk, the snapshot says ${file.size}` };
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  return actual === file.sha256
    ? undefined
    : { problem: 'on-disk-mismatch', detail: `hashes to ${actual} on disk, the snapshot says ${file.sha256}` };
}
