import ignore from 'ignore';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { SnapshotEntry } from '../repository/snapshotManifest';

const GLOB = /[*?[\]]/;

/**
 * Which folders must be read to select `paths` from a snapshot of trees (format 3): with sub-paths
 * only, those on the way to one and those under one; with a glob (or no paths), every folder.
 */
export function foldersToRead(paths: string[] | undefined): (dirPath: string) => boolean {
  const every = (): boolean => true;
  if (!paths?.length) return every;
  const prefixes: string[] = [];
  for (const raw of paths) {
    const p = raw.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    if (p === '' || p === '.' || GLOB.test(p)) return every;
    prefixes.push(p);
  }
  return (dir) => prefixes.some((p) => p === dir || p.startsWith(`${dir}/`) || dir.startsWith(`${p}/`));
}

/**
 * Which entries a restore or listing takes: a sub-path (the entry and everything under it) or
 * a glob in gitignore syntax ("*.jpg", "photos/2024/**"). No paths: everything.
 */
export function selectEntries(entries: SnapshotEntry[], paths: string[] | undefined): SnapshotEntry[] {
  if (!paths?.length) return entries;
  const prefixes: string[] = [];
  // Case-sensitive, like the sub-paths: the snapshot holds names exactly as they were.
  const globs = ignore({ ignorecase: false });
  let hasGlobs = false;
  for (const raw of paths) {
    const p = raw.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    if (p === '' || p === '.') return entries;
    if (GLOB.test(p)) {
      globs.add(p);
      hasGlobs = true;
    } else prefixes.push(p);
  }
  const selected = entries.filter(
    (e) =>
      prefixes.some((p) => e.path === p || e.path.startsWith(`${p}/`)) ||
      (hasGlobs && globs.ignores(e.type === 'dir' ? `${e.path}/` : e.path)),
  );
  // A directory chosen by a glob brings what is under it, as a sub-path does.
  const chosenDirs = selected.filter((e) => e.type === 'dir').map((e) => `${e.path}/`);
  const result = chosenDirs.length
    ? entries.filter((e) => selected.includes(e) || chosenDirs.some((d) => e.path.startsWith(d)))
    : selected;
  if (result.length === 0) {
    throw new ColdkeepError(
      'InvalidInput',
      `Nothing in the snapshot matches ${paths.map((p) => `"${p}"`).join(', ')}.`,
      {
        hint: 'Paths are relative to the folder backed up; see them with "coldkeep files ls SNAPSHOT".',
      },
    );
  }
  return result;
}
