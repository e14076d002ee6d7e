// Snapshot manifests: decoding and the checks a damaged one fails.
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import {
  ColdkeepError,
  decodeSnapshot,
  type SnapshotHead,
  SnapshotWriter,
  isRetryable,
  readWholeBody,
  releaseBuffer,
  type SnapshotEntry,
  decodeTree,
  encodeTree,
  encodeTreeTexts,
  entryAt,
  treeBody,
  type TreeEntry,
  type TreeRef,
} from '@coldkeep/shared';

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
  /** An in-memory tree store: trees by id, each stored once; `stored` counts what was new. */
  const memoryTrees = () => {
    const trees = new Map<string, TreeEntry[]>();
    let offset = 0;
    const sink = {
      stored: 0,
      store(texts: string[]): TreeRef {
        const tree = encodeTreeTexts(texts);
        const { id } = tree;
        const body = treeBody(tree);
        if (!trees.has(id)) {
          sink.stored++;
          trees.set(id, decodeTree(body, id, 'memory'));
        }
        offset += body.length;
        return { id, pack: 'p', offset, length: body.length };
      },
      drain: async () => undefined,
      flush: async () => undefined,
    };
    /** The entries under a tree, in walk order, with their paths. */
    const walk = (id: string, path = ''): SnapshotEntry[] =>
      trees.get(id)!.flatMap((e) => {
        const at = path ? `${path}/${e.name}` : e.name;
        return [entryAt(e, at), ...(e.type === 'dir' ? walk(e.tree.id, at) : [])];
      });
    return { sink, walk };
  };
  const { finishedAt, files, dirs, symlinks, bytes, skipped, ...head } = base;
  const tail = { finishedAt, files, dirs, symlinks, bytes, skipped };

  test('the writer makes a tree per folder bottom-up; the manifest (format 3) names the root, and the trees give back every entry; unknown fields pass through', async () => {
    const entries: SnapshotEntry[] = [
      { type: 'dir', path: 'd', mtimeMs: 1, mode: 493 },
      ...Array.from(
        { length: 2500 },
        (_, i) =>
          ({
            ...file,
            path: `d/f${String(i).padStart(4, '0')}-"quoted" \u00e9\u2603`,
            size: i,
            ...(i % 7 === 0 ? { pack: `20261123T000000Z-${i}`, packOffset: i } : {}),
          }) as SnapshotEntry,
      ),
      { type: 'dir', path: 'd/sub', mtimeMs: 2, mode: 448 },
      { type: 'symlink', path: 'd/sub/l', mtimeMs: 3, target: '../x' },
      { ...file, path: 'top.txt' } as SnapshotEntry,
    ];
    for (const list of [[], [file as SnapshotEntry], entries]) {
      const { sink, walk } = memoryTrees();
      const writer = new SnapshotWriter({ ...head, laterField: [1, 'x'] } as unknown as SnapshotHead, sink);
      for (const e of list) writer.add(e);
      await writer.drained();
      const body = await writer.finish(tail);
      const json = JSON.parse(gunzipSync(body).toString('utf8')) as Record<string, unknown>;
      const { tree, ...rest } = json as { tree: TreeRef };
      assert.deepEqual(rest, { ...base, formatVersion: 1, laterField: [1, 'x'] });
      const decoded = await decodeSnapshot(gzipSync(JSON.stringify({ ...json, formatVersion: 3 })), 'test');
      assert.equal(decoded.entries, undefined, 'a format 3 manifest holds no entry');
      assert.deepEqual(walk(tree.id), list);
      assert.equal(sink.stored, list === entries ? 3 : 1, 'one tree per folder, the root included');
    }
  });
  test('one content, one tree: the same folder written again gives the same ids', async () => {
    const write = async (mtime: number): Promise<{ root: string; stored: number }> => {
      const { sink } = memoryTrees();
      const writer = new SnapshotWriter(head as unknown as SnapshotHead, sink);
      writer.add({ type: 'dir', path: 'a', mtimeMs: 1, mode: 493 });
      writer.add({ ...file, path: 'a/x', mtimeMs: mtime } as SnapshotEntry);
      writer.add({ type: 'dir', path: 'b', mtimeMs: 1, mode: 493 });
      writer.add({ ...file, path: 'b/y' } as SnapshotEntry);
      const json = JSON.parse(gunzipSync(await writer.finish(tail)).toString('utf8')) as { tree: TreeRef };
      return { root: json.tree.id, stored: sink.stored };
    };
    const [one, again, changed] = [await write(1), await write(1), await write(2)];
    assert.equal(one.root, again.root);
    assert.notEqual(one.root, changed.root, 'a changed file changes its folder and the root');
  });
  test('the trees keep walk order when files are filled in out of order; a file left out leaves no entry', async () => {
    const { sink, walk } = memoryTrees();
    const writer = new SnapshotWriter(head as unknown as SnapshotHead, sink);
    const at = (path: string) => ({ ...file, path }) as SnapshotEntry;
    writer.add(at('a'));
    const b = writer.reserve();
    const c = writer.reserve();
    writer.add(at('d'));
    const e = writer.reserve();
    writer.fill(e, at('e'));
    writer.fill(c, undefined);
    writer.fill(b, at('b'));
    const body = await writer.finish(tail);
    const { tree } = JSON.parse(gunzipSync(body).toString('utf8')) as { tree: TreeRef };
    assert.deepEqual(
      walk(tree.id).map((x) => x.path),
      ['a', 'b', 'd', 'e'],
    );
    const unfinished = new SnapshotWriter(head as unknown as SnapshotHead, memoryTrees().sink);
    unfinished.reserve();
    await assert.rejects(unfinished.finish(tail), /never filled/);
  });
  test('a tree that does not hash to its name, or a format 3 manifest without a valid root, is refused', async () => {
    const x = encodeTree([{ ...file, name: 'x' } as TreeEntry]);
    const { id } = x;
    const body = treeBody(x);
    assert.equal(decodeTree(body, id, 'here').length, 1);
    assert.throws(
      () => decodeTree(body, 'b'.repeat(64), 'here'),
      (err: ColdkeepError) => err.code === 'SnapshotDamaged',
    );
    const bad = encodeTree([{ ...file, name: 'a/b' } as TreeEntry]);
    assert.throws(() => decodeTree(treeBody(bad), bad.id, 'here'), /entries\.0\.name/);
    const v3 = { ...base, formatVersion: 3 };
    await assert.rejects(decodeSnapshot(gzipSync(JSON.stringify(v3)), 'here'), /tree\.not an object/);
    await assert.rejects(
      decodeSnapshot(
        gzipSync(JSON.stringify({ ...v3, tree: { id, pack: 'p', offset: 0, length: 1 }, entries: [] })),
        'here',
      ),
      /holds trees, not entries/,
    );
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
