// PackWriter (shared/src/folders/repository/packWriter.ts) against s3rver: small blobs gathered
// into packs up to the pack size, each pack followed by an index that matches its bytes, and
// blobs claimed (counted, and named by an index a later run trusts) only once their pack and its
// index are both stored. Failures come from the fault proxy.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  AwsClients,
  ColdkeepError,
  decodePackIndex,
  PACK_INDEX_FORMAT,
  type PackedBlobRef,
  packIndexDir,
  packIndexKey,
  packKey,
  packsDir,
  PackWriter,
  type PackWriterOptions,
  readPackIndexes,
  type SourceLocation,
  sourceLocation,
} from '@coldkeep/shared';
import { type FaultProxy, type FaultRule, startFaultProxy } from '../helpers/faultProxy';
import {
  embeddedOnly,
  listKeys,
  onEmbedded,
  startTarget,
  type TestTarget,
  underRun,
  uniqueName,
} from '../helpers/fixture';

const PREFIX = underRun('pack-writer');
const PACK_SIZE = 1000;
/** `it`: a test through the fault proxy, which fronts only a loopback HTTP endpoint; registered on the embedded emulators only. */
const it = embeddedOnly(test);

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Blobs of these sizes, random content. */
const blobsOf = (sizes: number[]): { sha: string; body: Buffer }[] =>
  sizes.map((size) => {
    const body = randomBytes(size);
    return { sha: sha256(body), body };
  });

/** A clock a second further on each call: pack k (opened k-th) has an id starting with `stampOf(k)`. */
function packClock(): () => Date {
  let second = 0;
  return () => new Date(Date.UTC(2026, 0, 1, 0, 0, second++));
}
const stampOf = (pack: number): string => `20260101T0000${String(pack).padStart(2, '0')}Z-000`;

describe('PackWriter against s3rver', () => {
  let target: TestTarget;
  let proxy: FaultProxy;
  let viaProxy: AwsClients;

  before(async () => {
    target = await startTarget();
    if (!onEmbedded) return;
    proxy = await startFaultProxy(target.settings.endpoints!.s3!);
    viaProxy = new AwsClients({
      ...target.settings,
      endpoints: { ...target.settings.endpoints, s3: proxy.url },
      maxAttempts: 1,
    });
  });
  after(async () => {
    viaProxy?.destroy();
    await proxy?.stop();
    await target?.stop();
  });

  function writerFor(clients: AwsClients, extra: Partial<PackWriterOptions> = {}) {
    const location = sourceLocation(target.bucket, PREFIX, uniqueName('packs'));
    const writer = new PackWriter({
      s3: clients.s3,
      location,
      storage: {},
      tagging: undefined,
      packSize: PACK_SIZE,
      now: packClock(),
      ...extra,
    });
    return { location, writer };
  }

  const read = async (key: string): Promise<Buffer> => {
    const answer = await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  };
  const stored = async (location: SourceLocation) => ({
    packs: await listKeys(target.clients.s3, target.bucket, packsDir(location)),
    indexes: await listKeys(target.clients.s3, target.bucket, packIndexDir(location)),
  });
  /** What a later run trusts: the packed blobs the indexes name. */
  const claimed = async (location: SourceLocation): Promise<Map<string, PackedBlobRef>> =>
    readPackIndexes(target.clients.s3, location, undefined);

  test('packs blobs up to the pack size; each index matches its pack byte for byte', async () => {
    const { location, writer } = writerFor(target.clients);
    // 900 (the next 300 does not fit), 1000 (full), 1500 (a blob bigger than a pack: alone), 50 (the rest).
    const blobs = blobsOf([300, 300, 300, 300, 100, 600, 1500, 50]);
    const places = blobs.map((b) => writer.append(b.sha, b.body));
    await writer.flush();

    const packIds = [...new Set(places.map((p) => p.pack))];
    assert.equal(packIds.length, 4);
    assert.deepEqual(
      places.map((p) => [packIds.indexOf(p.pack), p.packOffset]),
      [
        [0, 0],
        [0, 300],
        [0, 600],
        [1, 0],
        [1, 300],
        [1, 400],
        [2, 0],
        [3, 0],
      ],
    );
    assert.deepEqual(
      { packs: writer.uploadedPacks, blobs: writer.uploadedBlobs, bytes: writer.uploadedBytes },
      { packs: 4, blobs: 8, bytes: 3450 },
    );
    assert.deepEqual(await stored(location), {
      packs: packIds.map((id) => packKey(location, id)).sort(),
      indexes: packIds.map((id) => packIndexKey(location, id)).sort(),
    });

    const sizes: number[] = [];
    for (const packId of packIds) {
      const pack = await read(packKey(location, packId));
      sizes.push(pack.length);
      const index = await decodePackIndex(await read(packIndexKey(location, packId)));
      assert.ok(index, `the index of ${packId} must decode`);
      const inPack = blobs.filter((_, i) => places[i]!.pack === packId);
      assert.deepEqual(index, {
        format: PACK_INDEX_FORMAT,
        formatVersion: 1,
        packId,
        size: pack.length,
        sha256: sha256(pack),
        blobs: inPack.map((b) => {
          const place = places[blobs.indexOf(b)]!;
          return [b.sha, place.packOffset, b.body.length];
        }),
      });
      for (const [sha, offset, length] of index.blobs) {
        const slice = pack.subarray(offset, offset + length);
        assert.equal(sha256(slice), sha);
        assert.ok(slice.equals(blobs.find((b) => b.sha === sha)!.body));
      }
    }
    assert.deepEqual(sizes, [900, 1000, 1500, 50]);
    assert.deepEqual(await claimed(location), new Map(blobs.map((b, i) => [b.sha, places[i]])));
  });

  it('a pack whose upload fails claims none of its blobs; the others are whole', async () => {
    const { location, writer } = writerFor(viaProxy);
    // Pack 1 (the second opened) is refused, every time.
    proxy.setRules([
      {
        match: { method: 'PUT', pathIncludes: `/packs/${stampOf(1)}` },
        action: { kind: 's3Error', status: 403, code: 'AccessDenied', message: 'Access Denied' },
        times: 100,
      },
    ]);
    const blobs = blobsOf([600, 600, 600]);
    const places = blobs.map((b) => writer.append(b.sha, b.body));
    assert.deepEqual(
      places.map((p) => p.pack.slice(0, stampOf(0).length)),
      [stampOf(0), stampOf(1), stampOf(2)],
    );
    const failure = await writer.flush().then(
      () => assert.fail('the flush must fail'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof ColdkeepError);
    assert.equal(failure.code, 'AccessDenied');
    assert.throws(() => writer.append(blobs[0]!.sha, blobs[0]!.body), failure, 'a failed writer takes no more blobs');

    assert.deepEqual(
      { packs: writer.uploadedPacks, blobs: writer.uploadedBlobs, bytes: writer.uploadedBytes },
      { packs: 2, blobs: 2, bytes: 1200 },
    );
    const whole = [places[0]!.pack, places[2]!.pack];
    assert.deepEqual(await stored(location), {
      packs: whole.map((id) => packKey(location, id)).sort(),
      indexes: whole.map((id) => packIndexKey(location, id)).sort(),
    });
    assert.deepEqual(
      await claimed(location),
      new Map([
        [blobs[0]!.sha, places[0]],
        [blobs[2]!.sha, places[2]],
      ]),
    );
  });

  it('a pack stored without its index is not claimed either', async () => {
    const { location, writer } = writerFor(viaProxy);
    proxy.setRules([
      {
        match: { method: 'PUT', pathIncludes: `/index/${stampOf(0)}` },
        action: { kind: 's3Error', status: 403, code: 'AccessDenied', message: 'Access Denied' },
        times: 100,
      },
    ]);
    const blobs = blobsOf([400, 400]);
    const places = blobs.map((b) => writer.append(b.sha, b.body));
    await assert.rejects(writer.flush(), (err) => err instanceof ColdkeepError && err.code === 'AccessDenied');

    assert.deepEqual(
      { packs: writer.uploadedPacks, blobs: writer.uploadedBlobs, bytes: writer.uploadedBytes },
      { packs: 0, blobs: 0, bytes: 0 },
    );
    // The pack itself went up first; without an index nothing trusts it (prune removes it).
    assert.deepEqual(await stored(location), { packs: [packKey(location, places[0]!.pack)], indexes: [] });
    assert.deepEqual(await claimed(location), new Map());
  });

  it('a transient failure is retried: the pack is stored once and claimed once', async () => {
    const { location, writer } = writerFor(viaProxy);
    const rules: FaultRule[] = [
      { match: { method: 'PUT', pathIncludes: `/packs/${stampOf(0)}` }, action: { kind: 's3InternalError' }, times: 2 },
    ];
    proxy.setRules(rules);
    const earlier = proxy.stats.requests.length;
    const blobs = blobsOf([500, 200]);
    const places = blobs.map((b) => writer.append(b.sha, b.body));
    await writer.flush();

    const packPuts = proxy.stats.requests
      .slice(earlier)
      .filter((r) => r.method === 'PUT' && r.url.includes(`/packs/${stampOf(0)}`));
    assert.equal(packPuts.length, 3, 'two refused, the third stored');
    assert.deepEqual(
      { packs: writer.uploadedPacks, blobs: writer.uploadedBlobs, bytes: writer.uploadedBytes },
      { packs: 1, blobs: 2, bytes: 700 },
    );
    const pack = await read(packKey(location, places[0]!.pack));
    assert.equal(sha256(pack), sha256(Buffer.concat(blobs.map((b) => b.body))));
    assert.deepEqual(await claimed(location), new Map(blobs.map((b, i) => [b.sha, places[i]])));
  });
});
