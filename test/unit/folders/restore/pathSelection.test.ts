// Which snapshot entries a restore's path selection picks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ColdkeepError, selectEntries, type SnapshotEntry } from '@coldkeep/shared';

describe('path selection', () => {
  const entries: SnapshotEntry[] = [
    { type: 'dir', path: 'photos', mtimeMs: 1, mode: 0o755 },
    { type: 'file', path: 'photos/a.jpg', size: 1, mtimeMs: 1, mode: 0o644, sha256: 'a'.repeat(64) },
    { type: 'dir', path: 'photos/2024', mtimeMs: 1, mode: 0o755 },
    { type: 'file', path: 'photos/2024/b.JPG', size: 1, mtimeMs: 1, mode: 0o644, sha256: 'b'.repeat(64) },
    { type: 'file', path: 'notes.txt', size: 1, mtimeMs: 1, mode: 0o644, sha256: 'c'.repeat(64) },
    { type: 'symlink', path: 'latest', mtimeMs: 1, target: 'photos/2024' },
  ];
  const paths = (selected: SnapshotEntry[]): string[] => selected.map((e) => e.path);
  test('a sub-path takes the entry and everything under it', () => {
    assert.deepEqual(paths(selectEntries(entries, ['photos/2024/'])), ['photos/2024', 'photos/2024/b.JPG']);
    assert.deepEqual(paths(selectEntries(entries, ['./notes.txt'])), ['notes.txt']);
  });
  test('globs use gitignore syntax; a matched folder brings its content', () => {
    assert.deepEqual(paths(selectEntries(entries, ['*.jpg'])), ['photos/a.jpg']);
    assert.deepEqual(paths(selectEntries(entries, ['photo?/2024'])), ['photos/2024', 'photos/2024/b.JPG']);
  });
  test('no paths, or ".", is everything; no match is a clear error', () => {
    assert.equal(selectEntries(entries, undefined).length, entries.length);
    assert.equal(selectEntries(entries, ['.']).length, entries.length);
    assert.throws(
      () => selectEntries(entries, ['music']),
      (err: ColdkeepError) => err.code === 'InvalidInput' && /files ls/.test(err.hint ?? ''),
    );
  });
});
