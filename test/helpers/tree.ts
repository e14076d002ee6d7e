import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  mtimeMs?: number;
  content?: string;
  target?: string;
}

/** Every path under a folder with its type, permission bits, mtime and content (sha-free, exact). */
export async function readTree(root: string, rel = ''): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const abs = join(root, path);
    const s = await lstat(abs);
    if (s.isSymbolicLink()) out.set(path, { type: 'symlink', target: await readlink(abs) });
    else if (s.isDirectory()) {
      out.set(path, { type: 'dir', mode: s.mode & 0o7777, mtimeMs: Math.floor(s.mtimeMs) });
      for (const [k, v] of await readTree(root, path)) out.set(k, v);
    } else if (s.isFile()) {
      out.set(path, {
        type: 'file',
        mode: s.mode & 0o7777,
        mtimeMs: Math.floor(s.mtimeMs),
        content: (await readFile(abs)).toString('base64'),
      });
    }
  }
  return out;
}

// One object per blob (--pack-files-up-to 0, and every file over the pack limit); the packed
// layout, the default for small files, has its own suite below.
