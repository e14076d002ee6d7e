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
