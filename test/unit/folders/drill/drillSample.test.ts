// The drill's sample: a stated number of files, at least one of each storage kind (and one whose
// data is archived, when a thaw reads it), never a file twice; how each file's storage is told.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseSample, countByKind, type FileEntry, type SampleCandidate, storageKindOf } from '@coldkeep/shared';

const MiB = 1024 * 1024;
const file = (path: string, size: number, pack?: string): FileEntry => ({
  type: 'file',
  path,
  size,
  mtimeMs: 0,
  mode: 0o644,
  sha256: '0'.repeat(64),
  ...(pack ? { pack, packOffset: 0 } : {}),
});
const object = (etag = 'abc') => ({ key: 'k', size: 1, storageClass: 'STANDARD', etag });

describe('storageKindOf', () => {
  test('empty, packed, blob, big blob (over 8 MiB, or an ETag of a multipart upload)', () => {
    assert.equal(storageKindOf(file('e', 0, 'p1'), object()), 'empty');
    assert.equal(storageKindOf(file('e', 0), object()), 'empty');
    assert.equal(storageKindOf(file('s', 10, 'p1'), object()), 'packed');
    assert.equal(storageKindOf(file('b', 2 * MiB), object('9bb58f26192e4ba00f01e2e7b136bbd8')), 'blob');
    assert.equal(storageKindOf(file('b', 6 * MiB), object('9bb58f26192e4ba00f01e2e7b136bbd8-2')), 'big-blob');
    assert.equal(storageKindOf(file('b', 9 * MiB), object('9bb58f26192e4ba00f01e2e7b136bbd8')), 'big-blob');
  });
});

describe('chooseSample', () => {
  const candidates: SampleCandidate[] = [
    ...Array.from({ length: 50 }, (_, i) => ({ f: file(`s${i}`, 10, 'p1'), archived: false })),
    { f: file('blob', 2 * MiB), archived: false },
    { f: file('cold', 2 * MiB), archived: true },
    { f: file('big', 9 * MiB), archived: false },
    { f: file('empty', 0), archived: false },
  ].map(({ f, archived }) => ({ file: f, kind: storageKindOf(f, object()), key: f.path, object: object(), archived }));

  test('the number asked, with one of each kind and one archived among them, for any draw', () => {
    for (const seed of [0, 0.3, 0.5, 0.99]) {
      const sample = chooseSample(candidates, 10, () => seed);
      assert.equal(sample.length, 10);
      assert.equal(new Set(sample).size, 10, 'no file twice');
      assert.deepEqual(Object.keys(countByKind(sample)).sort(), ['big-blob', 'blob', 'empty', 'packed']);
      assert.ok(sample.some((c) => c.archived));
    }
  });

  test('fewer asked than there are kinds: one of each kind all the same', () => {
    const sample = chooseSample(
      candidates.filter((c) => !c.archived),
      1,
      () => 0.5,
    );
    assert.deepEqual(countByKind(sample), { packed: 1, blob: 1, 'big-blob': 1, empty: 1 });
  });

  test('"all", or more than there are: every candidate', () => {
    assert.equal(chooseSample(candidates, 'all').length, candidates.length);
    assert.equal(chooseSample(candidates, 1000).length, candidates.length);
  });
});
