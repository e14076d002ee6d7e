// The format 3 codec: sealed objects open only whole, unaltered, under their key and kind;
// compression round-trips and incompressible content is stored as is.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import {
  ColdkeepError,
  FRAME_SIZE,
  isSealed,
  PLAIN_CODEC,
  SEAL_OVERHEAD,
  SealBrokenError,
  SealingCodec,
} from '@coldkeep/shared';

const key = randomBytes(32);
const codec = new SealingCodec(key);
const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(2000));

async function throughStream(t: Transform, input: Buffer, chunk = 100_000): Promise<Buffer> {
  const out: Buffer[] = [];
  const parts: Buffer[] = [];
  for (let at = 0; at < input.length; at += chunk) parts.push(input.subarray(at, at + chunk));
  t.on('data', (c: Buffer) => out.push(c));
  await pipeline(Readable.from(parts), t);
  return Buffer.concat(out);
}

describe('sealed objects', () => {
  test('seal then open gives the bytes back, and the stored bytes hold none of them', () => {
    const sealed = codec.seal('blob', text);
    assert.ok(isSealed(sealed));
    assert.equal(sealed.indexOf(Buffer.from('quick brown')), -1);
    assert.deepEqual(codec.open('blob', sealed, 'k'), text);
  });

  test('text is compressed; random bytes are stored as is (the size of the content plus the seal)', () => {
    assert.ok(codec.seal('blob', text).length < text.length / 10);
    const random = randomBytes(200_000);
    const sealed = codec.seal('blob', random);
    assert.equal(sealed.length, random.length + SEAL_OVERHEAD);
    assert.deepEqual(codec.open('blob', sealed, 'k'), random);
  });

  test('no compression when asked (gzip manifests), nor with level 0', () => {
    assert.equal(codec.seal('snapshot', text, { compress: false }).length, text.length + SEAL_OVERHEAD);
    const off = new SealingCodec(key, { level: 0 });
    assert.equal(off.seal('blob', text).length, text.length + SEAL_OVERHEAD);
    assert.deepEqual(codec.open('blob', off.seal('blob', text), 'k'), text);
  });

  test('an empty object round-trips', () => {
    assert.deepEqual(codec.open('pack-entry', codec.seal('pack-entry', Buffer.alloc(0)), 'k'), Buffer.alloc(0));
  });

  test('two seals of one content differ (a random nonce each)', () => {
    assert.notDeepEqual(codec.seal('blob', text), codec.seal('blob', text));
  });

  test('a flipped byte anywhere, a cut, another kind or another key is caught as damage (ChecksumMismatch)', () => {
    const sealed = codec.seal('blob', Buffer.concat([text, randomBytes(3 * FRAME_SIZE)]));
    const broken = (b: Buffer, kind: 'blob' | 'pack-index' = 'blob', c: SealingCodec = codec) =>
      assert.throws(
        () => c.open(kind, b, 'the-key'),
        (err: unknown) => err instanceof SealBrokenError && (err as ColdkeepError).code === 'ChecksumMismatch',
      );
    for (const at of [0, 5, 10, 20, 30, 1000, sealed.length - 1, Math.floor(sealed.length / 2)]) {
      const b = Buffer.from(sealed);
      b[at]! ^= 0x01;
      broken(b);
    }
    broken(sealed.subarray(0, sealed.length - 10));
    broken(sealed.subarray(0, FRAME_SIZE + 100));
    broken(Buffer.concat([sealed, Buffer.from([0, 0, 0, 0])]));
    broken(sealed, 'pack-index');
    broken(sealed, 'blob', new SealingCodec(randomBytes(32)));
  });

  test('streams: what sealStream writes opens whole, and openStream reads what seal wrote', async () => {
    const big = Buffer.concat([text, randomBytes(FRAME_SIZE * 2 + 123), text]);
    const sealed = await throughStream(codec.sealStream('blob'), big);
    assert.deepEqual(codec.open('blob', sealed, 'k'), big);
    assert.deepEqual(await throughStream(codec.openStream('blob', 'k'), codec.seal('blob', big), 7777), big);
    assert.deepEqual(
      await throughStream(
        codec.openStream('blob', 'k'),
        await throughStream(codec.sealStream('blob'), Buffer.alloc(0)),
      ),
      Buffer.alloc(0),
    );
    const cut = sealed.subarray(0, sealed.length - 1);
    await assert.rejects(throughStream(codec.openStream('blob', 'k'), cut), SealBrokenError);
  });

  test('blob names are keyed: not the SHA-256, the same for one key, another under another key', () => {
    const sha = 'ab'.repeat(32);
    assert.match(codec.blobName(sha), /^[0-9a-f]{64}$/);
    assert.notEqual(codec.blobName(sha), sha);
    assert.equal(codec.blobName(sha), new SealingCodec(key).blobName(sha));
    assert.notEqual(codec.blobName(sha), new SealingCodec(randomBytes(32)).blobName(sha));
    assert.equal(PLAIN_CODEC.blobName(sha), sha);
  });
});
