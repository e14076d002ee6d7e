// Folder snapshot logic that needs no S3: retention, path selection, manifest checks, names, excludes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import {
  applyRetention,
  ColdkeepError,
  decodeSnapshot,
  defaultSourceName,
  excludeRules,
  type SnapshotHead,
  SnapshotWriter,
  isRetryable,
  readWholeBody,
  releaseBuffer,
  isExcluded,
  isExcludedEntry,
  selectEntries,
  type SnapshotEntry,
  walkFolder,
  type WalkItem,
} from '@coldkeep/shared';

describe('retention', () => {
  // Two a day at 09:00 and 21:00 from 2026-10-01 to 2026-11-23 (UTC).
  const ids: string[] = [];
  for (let t = Date.UTC(2026, 9, 1, 9); t <= Date.UTC(2026, 10, 23, 21); t += 12 * 3_600_000) {
    ids.push(
      `${new Date(t)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}Z$/, 'Z')}-abcd`,
    );
  }
  const kept = (policy: Parameters<typeof applyRetention>[1]): string[] =>
    applyRetention(ids, policy)
      .filter((d) => d.keep)
      .map((d) => d.snapshotId.slice(0, 11));

  test('keep-last keeps the newest N', () => {
    assert.deepEqual(kept({ last: 3 }), ['20261123T21', '20261123T09', '20261122T21']);
  });
  test('daily keeps the newest of each of the last N days', () => {
    assert.deepEqual(kept({ daily: 3 }), ['20261123T21', '20261122T21', '20261121T21']);
  });
  test('weekly and monthly use ISO weeks and calendar months', () => {
    // 2026-11-23 is a Monday: its week holds one day; the week before ends on Sunday the 22nd.
    assert.deepEqual(kept({ weekly: 2 }), ['20261123T21', '20261122T21']);
    assert.deepEqual(kept({ monthly: 3 }), ['20261123T21', '20261031T21']);
  });
  test('rules add up, each snapshot kept once, with its reasons', () => {
    const decisions = applyRetention(ids, { last: 1, daily: 2, monthly: 2 });
    const newest = decisions[0]!;
    assert.deepEqual(newest.reasons, ['last', 'daily 2026-11-23', 'monthly 2026-11']);
    assert.equal(decisions.filter((d) => d.keep).length, 3);
  });
  test('a policy that keeps nothing is refused', () => {
    assert.throws(
      () => applyRetention(ids, {}),
      (err: ColdkeepError) => err.code === 'InvalidInput',
    );
    assert.throws(
      () => applyRetention(ids, { last: -1 }),
      (err: ColdkeepError) => err.code === 'InvalidInput',
    );
  });
});

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

describe('snapshot manifest checks', () => {
  const base = {
    format: 'coldkeep.folder-snapshot',
    formatVersion: 1,
    snapshotId: '20261123T000000Z-abcd',
    source: 's',
    tool: { name: 'coldkeep', version: '0' },
    host: 'h',
    dir: '/d',
    startedAt: 'a',
    finishedAt: 'b',
    files: 1,
    dirs: 0,
    symlinks: 0,
    bytes: 1,
    excludes: [],
    skipped: [],
    storage: {},
  };
  const file = { type: 'file', path: 'ok.txt', size: 1, mtimeMs: 1, mode: 420, sha256: 'a'.repeat(64) };
  const decode = (entries: unknown[]): Promise<unknown> =>
    decodeSnapshot(gzipSync(JSON.stringify({ ...base, entries })), 'here');

  test('a valid manifest reads back', async () => {
    assert.deepEqual(((await decode([file])) as { entries: unknown[] }).entries, [file]);
  });
  test('a path leading out of the target is refused', async () => {
    for (const path of ['../etc/passwd', '/etc/passwd', 'a/../../b', 'a//b']) {
      await assert.rejects(
        decode([{ ...file, path }]),
        (err: ColdkeepError) => err.code === 'ManifestInvalid' && /unsafe path/.test(err.message),
      );
    }
  });
  test('the manifest written entry by entry decodes to the same manifest; pack places and unknown fields pass through', async () => {
    const entries = Array.from({ length: 2500 }, (_, i) => ({
      ...file,
      path: `d/f${i}-"quoted" \u00e9\u2603`,
      size: i,
      ...(i % 7 === 0 ? { pack: `20261123T000000Z-${i}`, packOffset: i, extra: { x: i } } : {}),
    }));
    const { finishedAt, files, dirs, symlinks, bytes, skipped, ...head } = base;
    for (const list of [[], [file], entries]) {
      const writer = new SnapshotWriter({ ...head, laterField: [1, 'x'] } as unknown as SnapshotHead);
      for (const e of list) writer.add(e as SnapshotEntry);
      await writer.drained();
      const body = await writer.finish({ finishedAt, files, dirs, symlinks, bytes, skipped });
      const json = JSON.parse(gunzipSync(body).toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(json, { ...base, entries: list, laterField: [1, 'x'] });
      assert.deepEqual((await decodeSnapshot(body, 'test')).entries, list);
    }
  });
  test('the manifest keeps walk order when files are filled in out of order; a file left out leaves no entry', async () => {
    const { finishedAt, files, dirs, symlinks, bytes, skipped, ...head } = base;
    const writer = new SnapshotWriter(head as unknown as SnapshotHead);
    const at = (path: string) => ({ ...file, path }) as SnapshotEntry;
    writer.add(at('a'));
    const b = writer.reserve();
    const c = writer.reserve();
    writer.add(at('d'));
    const e = writer.reserve();
    writer.fill(e, at('e'));
    writer.fill(c, undefined);
    writer.fill(b, at('b'));
    const body = await writer.finish({ finishedAt, files, dirs, symlinks, bytes, skipped });
    assert.deepEqual(
      (await decodeSnapshot(body, 'test')).entries.map((x) => x.path),
      ['a', 'b', 'd', 'e'],
    );
    const unfinished = new SnapshotWriter(head as unknown as SnapshotHead);
    unfinished.reserve();
    await assert.rejects(unfinished.finish({ finishedAt, files, dirs, symlinks, bytes, skipped }), /never filled/);
  });
  test('a manifest body is read into one buffer of its Content-Length; a short or long one is a retryable error', async () => {
    async function* body(...chunks: string[]): AsyncGenerator<Uint8Array> {
      for (const c of chunks) yield Buffer.from(c);
    }
    assert.equal(Buffer.from(await readWholeBody(body('ab', 'cd', 'e'), 5)).toString(), 'abcde');
    assert.equal(Buffer.from(await readWholeBody(body('ab', 'cd'), undefined)).toString(), 'abcd');
    for (const [chunks, length] of [
      [['ab', 'cd'], 5],
      [['ab', 'cd'], 3],
    ] as const) {
      await assert.rejects(readWholeBody(body(...chunks), length), (err: Error) => isRetryable(err));
    }
  });
  test('a decoded body is released at once: a whole buffer is emptied, a pooled slice and the decoded entries stay', async () => {
    const whole = Buffer.allocUnsafeSlow(64 * 1024).fill(1);
    releaseBuffer(whole);
    assert.equal(whole.buffer.byteLength, 0);
    const pooled = Buffer.from('pooled');
    const neighbour = Buffer.from('neighbour');
    releaseBuffer(pooled);
    assert.equal(pooled.toString(), 'pooled');
    assert.equal(neighbour.toString(), 'neighbour');
    const body = gzipSync(JSON.stringify({ ...base, entries: [file] }));
    const copy = Buffer.from(body);
    assert.deepEqual((await decodeSnapshot(body, 'test')).entries, [file]);
    assert.deepEqual(body, copy);
  });
  test('a damaged entry is named', async () => {
    await assert.rejects(decode([file, { ...file, sha256: 'xyz' }]), /entries\.1\.sha256/);
    await assert.rejects(decode([{ ...file, type: 'fifo' }]), /entries\.0\.type/);
    await assert.rejects(
      decodeSnapshot(Buffer.from('not gzip'), 'here'),
      (err: ColdkeepError) => err.code === 'ManifestInvalid',
    );
  });
});

describe('source names and excludes', () => {
  test('the default source name is the folder name and a hash of host and path', () => {
    assert.match(defaultSourceName('/home/me/My Documents', 'laptop'), /^My_Documents-[0-9a-f]{8}$/);
    assert.equal(defaultSourceName('/home/me/src', 'laptop'), defaultSourceName('/home/me/src/', 'laptop'));
    assert.notEqual(defaultSourceName('/home/me/src', 'laptop'), defaultSourceName('/work/src', 'laptop'));
    assert.notEqual(defaultSourceName('/home/me/src', 'laptop'), defaultSourceName('/home/me/src', 'desktop'));
  });
  test('default excludes, gitignore negation, and folders matched with their slash', () => {
    const rules = excludeRules(['*.log', '!keep.log', 'build/']);
    assert.equal(isExcluded(rules, 'a/.DS_Store', false), true);
    assert.equal(isExcluded(rules, 'x/debug.log', false), true);
    assert.equal(isExcluded(rules, 'keep.log', false), false);
    assert.equal(isExcluded(rules, 'app/build', true), true);
    assert.equal(isExcluded(rules, 'app/build', false), false, 'a file named build is not the folder');
    assert.equal(isExcluded(excludeRules([], false), '.DS_Store', false), false);
  });
  test('a walk entry is judged by its name when every pattern is about names, else by its path', () => {
    const byName = excludeRules(['*.log', '!keep.log', 'build/']);
    assert.equal(byName.byName, true);
    for (const [path, isDir, expected] of [
      ['a/b/debug.log', false, true],
      ['a/b/keep.log', false, false],
      ['a/build', true, true],
      ['a/build', false, false],
      ['a/.DS_Store', false, true],
      ['a/b/c.txt', false, false],
    ] as const) {
      const name = path.slice(path.lastIndexOf('/') + 1);
      assert.equal(isExcludedEntry(byName, path, name, isDir), expected, path);
      assert.equal(isExcluded(byName, path, isDir), expected, `${path}: the same as by path`);
    }
    const byPath = excludeRules(['/top.txt', 'docs/*.md', '**/tmp/']);
    assert.equal(byPath.byName, false);
    assert.equal(isExcludedEntry(byPath, 'top.txt', 'top.txt', false), true);
    assert.equal(isExcludedEntry(byPath, 'a/top.txt', 'top.txt', false), false, 'anchored at the root');
    assert.equal(isExcludedEntry(byPath, 'docs/x.md', 'x.md', false), true);
    assert.equal(isExcludedEntry(byPath, 'src/x.md', 'x.md', false), false);
    assert.equal(isExcludedEntry(byPath, 'a/b/tmp', 'tmp', true), true);
  });
});

describe('folder walk', () => {
  const walked = async (root: string, options: Partial<Parameters<typeof walkFolder>[1]> = {}): Promise<string[]> => {
    const seen: string[] = [];
    for await (const item of walkFolder(root, { excludes: excludeRules(['build/']), ...options }))
      seen.push(`${item.type} ${item.path}${item.type === 'skipped' ? ` (${item.reason.split(' ')[0]})` : ''}`);
    return seen;
  };

  test('depth first, byte order, excludes never entered, links not followed, special files and big files noted', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coldkeep-walk-'));
    try {
      // More names than one stat slice holds, so the walk reads a folder in several slices.
      await mkdir(join(root, 'b'));
      for (let i = 0; i < 600; i++) await writeFile(join(root, 'b', `f${String(i).padStart(3, '0')}`), '');
      await mkdir(join(root, 'build', 'deep'), { recursive: true });
      await writeFile(join(root, 'build', 'deep', 'x'), '');
      await writeFile(join(root, 'a.txt'), 'a');
      await writeFile(join(root, 'Z.txt'), 'z');
      await writeFile(join(root, 'big.bin'), Buffer.alloc(100));
      await writeFile(join(root, '.DS_Store'), '');
      await symlink('b', join(root, 'link'));
      execFileSync('mkfifo', [join(root, 'pipe')]);

      const seen = await walked(root, { maxFileSize: 50 });
      assert.deepEqual(seen.slice(0, 4), ['file Z.txt', 'file a.txt', 'dir b', 'file b/f000']);
      assert.deepEqual(
        seen.filter((s) => !s.startsWith('file b/')),
        ['file Z.txt', 'file a.txt', 'dir b', 'skipped big.bin (larger)', 'symlink link', 'skipped pipe (named)'],
      );
      const inB = seen.filter((s) => s.startsWith('file b/'));
      assert.equal(inB.length, 600);
      assert.deepEqual(inB, [...inB].sort(), 'the folder in order across its stat slices');
      const anchored = await walked(root, { excludes: excludeRules(['/b/f1*', 'build/', '/a.txt']) });
      assert.equal(
        anchored.filter((s) => s.startsWith('file b/')).length,
        500,
        'a pattern with a path is matched on the path',
      );
      assert.ok(!anchored.includes('file a.txt') && anchored.includes('file Z.txt'));

      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        walked(root, { signal: controller.signal }),
        (err: ColdkeepError) => err.code === 'Cancelled',
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a root that cannot be listed is one skipped item', async () => {
    const items: WalkItem[] = [];
    for await (const item of walkFolder(join(tmpdir(), 'coldkeep-walk-missing-folder'), { excludes: excludeRules() }))
      items.push(item);
    assert.deepEqual(items, [
      {
        type: 'skipped',
        path: '.',
        kind: 'vanished',
        entry: 'folder',
        reason: 'deleted while the backup ran',
        whatToDo: 'Nothing to do: it no longer exists.',
      },
    ]);
  });
});
