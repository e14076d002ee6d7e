import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DescribeTableCommand, DescribeTimeToLiveCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  backupTable,
  ColdkeepError,
  type Item,
  itemToLine,
  lineToItem,
  listBackups,
  parseManifest,
  restoreTable,
  scanSegment,
  scanSegmentJson,
} from '@coldkeep/shared';
import {
  assertSameItems,
  createTable,
  listKeys,
  putItems,
  scanAll,
  startTarget,
  type TestTarget,
  uniqueName,
} from '../helpers/fixture';

function everyTypeItems(): Item[] {
  const big = 'x'.repeat(395 * 1024);
  return [
    {
      pk: { S: 'all-types' },
      s: { S: 'plain' },
      n: { N: '-12345.6789e10' },
      b: { B: new Uint8Array([0, 1, 2, 250, 255]) },
      t: { BOOL: true },
      f: { BOOL: false },
      z: { NULL: true },
      ss: { SS: ['a', 'b', 'ç'] },
      ns: { NS: ['1', '2.5', '-3'] },
      bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
      m: {
        M: {
          inner: {
            M: {
              deep: {
                L: [{ S: 'x' }, { N: '1' }, { B: new Uint8Array([9, 9]) }, { M: { k: { BS: [new Uint8Array([7])] } } }],
              },
            },
          },
          empty: { M: {} },
        },
      },
      l: { L: [{ NULL: true }, { BOOL: false }, { L: [] }, { SS: ['only'] }] },
    },
    { pk: { S: 'unicode-ключ-鍵-🔑' }, text: { S: 'Grüße, 世界, emoji 🎉, quotes " and \\ and \n newline' } },
    { pk: { S: 'big-item' }, payload: { S: big } },
    ...Array.from({ length: 300 }, (_, i) => ({ pk: { S: `k${i}` }, n: { N: String(i) }, b: { B: randomBytes(16) } })),
  ];
}

async function readDataFile(target: TestTarget, key: string): Promise<Buffer> {
  const response = await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

describe('table backup and restore against dynalite and s3rver', () => {
  let target: TestTarget;
  before(async () => {
    target = await startTarget();
  });
  after(async () => {
    await target?.stop();
  });

  test('every attribute type, unicode and a 400 KB item survive a round trip, and the manifest tells the truth', async () => {
    const table = uniqueName('types');
    const items = everyTypeItems();
    await createTable(target.clients.dynamodb, { TableName: table });
    await putItems(target.clients.dynamodb, table, items);

    const backup = await backupTable(target.clients, { table, bucket: target.bucket, segments: 3 });
    assert.equal(backup.itemCount, items.length);

    const manifestText = (await readDataFile(target, backup.manifestKey)).toString();
    const manifest = parseManifest(manifestText, backup.manifestKey);
    assert.equal(manifest.itemCount, items.length);
    assert.equal(manifest.segments?.total, 3);
    assert.deepEqual(manifest.schema.keySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);
    const dir = backup.manifestKey.replace(/manifest\.json$/, '');
    let lines = 0;
    for (const file of manifest.files) {
      const body = await readDataFile(target, dir + file.key);
      assert.equal(createHash('sha256').update(body).digest('hex'), file.sha256, `sha256 of ${file.key}`);
      assert.equal(body.length, file.bytes);
      const text = gunzipSync(body).toString();
      assert.equal(Buffer.byteLength(text), file.uncompressedBytes);
      const fileLines = text.split('\n').filter(Boolean);
      assert.equal(fileLines.length, file.items);
      // Each line is DynamoDB JSON with binaries in base64, as DynamoDB's own export writes it.
      for (const line of fileLines) assert.ok(JSON.parse(line).Item, 'a line holds {"Item": …}');
      lines += fileLines.length;
    }
    assert.equal(lines, items.length);

    const restored = uniqueName('types-restored');
    const report = await restoreTable(target.clients, { source: { uri: backup.uri }, target: restored });
    assert.equal(report.createdTable, true);
    assert.equal(report.itemsWritten, items.length);
    assert.equal(report.countedItems, items.length);
    // Compared with what the table holds (DynamoDB normalises numbers such as -12345.6789e10).
    assertSameItems(await scanAll(target.clients.dynamodb, restored), await scanAll(target.clients.dynamodb, table));
  });

  test('an empty table backs up to a manifest with no files and restores to an empty table', async () => {
    const table = uniqueName('empty');
    await createTable(target.clients.dynamodb, { TableName: table });
    const backup = await backupTable(target.clients, { table, bucket: target.bucket, segments: 4 });
    assert.equal(backup.itemCount, 0);
    assert.equal(backup.files, 0);
    const keys = await listKeys(target.clients.s3, target.bucket, backup.manifestKey.replace(/manifest\.json$/, ''));
    assert.deepEqual(keys, [backup.manifestKey]);
    const restored = uniqueName('empty-restored');
    const report = await restoreTable(target.clients, { source: { uri: backup.uri }, target: restored });
    assert.equal(report.itemsWritten, 0);
    assert.equal(report.countedItems, 0);
  });

  test('restore into a new table recreates keys, GSIs, LSIs, billing, capacity and TTL', async () => {
    const table = uniqueName('indexed');
    await createTable(target.clients.dynamodb, {
      TableName: table,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
        { AttributeName: 'email', AttributeType: 'S' },
        { AttributeName: 'created', AttributeType: 'S' },
      ],
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: { ReadCapacityUnits: 50, WriteCapacityUnits: 40 },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byEmail',
          KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['name'] },
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 6 },
        },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'byCreated',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'created', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    const ttlSupported = await target.clients.dynamodb
      .send(
        new UpdateTimeToLiveCommand({
          TableName: table,
          TimeToLiveSpecification: { AttributeName: 'expires', Enabled: true },
        }),
      )
      .then(() => true)
      .catch(() => false);
    const items: Item[] = Array.from({ length: 200 }, (_, i) => ({
      pk: { S: `p${i % 10}` },
      sk: { N: String(i) },
      email: { S: `u${i}@example.com` },
      created: { S: `2026-01-${String((i % 28) + 1).padStart(2, '0')}` },
      name: { S: `User ${i}` },
      expires: { N: String(2_000_000_000 + i) },
    }));
    await putItems(target.clients.dynamodb, table, items);

    const backup = await backupTable(target.clients, { table, bucket: target.bucket, segments: 2 });
    const restored = uniqueName('indexed-restored');
    const report = await restoreTable(target.clients, { source: { uri: backup.uri }, target: restored });
    assert.equal(report.countedItems, items.length);

    const { Table: original } = await target.clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    const { Table: copy } = await target.clients.dynamodb.send(new DescribeTableCommand({ TableName: restored }));
    assert.deepEqual(copy?.KeySchema, original?.KeySchema);
    assert.deepEqual(
      [...(copy?.AttributeDefinitions ?? [])].sort((a, b) => a.AttributeName!.localeCompare(b.AttributeName!)),
      [...(original?.AttributeDefinitions ?? [])].sort((a, b) => a.AttributeName!.localeCompare(b.AttributeName!)),
    );
    assert.equal(copy?.ProvisionedThroughput?.ReadCapacityUnits, 50);
    assert.equal(copy?.ProvisionedThroughput?.WriteCapacityUnits, 40);
    const gsi = copy?.GlobalSecondaryIndexes?.[0];
    assert.equal(gsi?.IndexName, 'byEmail');
    assert.deepEqual(gsi?.KeySchema, [{ AttributeName: 'email', KeyType: 'HASH' }]);
    assert.deepEqual(gsi?.Projection, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['name'] });
    assert.equal(gsi?.ProvisionedThroughput?.ReadCapacityUnits, 5);
    assert.equal(gsi?.ProvisionedThroughput?.WriteCapacityUnits, 6);
    const lsi = copy?.LocalSecondaryIndexes?.[0];
    assert.equal(lsi?.IndexName, 'byCreated');
    assert.deepEqual(lsi?.Projection, { ProjectionType: 'KEYS_ONLY' });
    assertSameItems(await scanAll(target.clients.dynamodb, restored), items);

    if (ttlSupported) {
      const ttl = await target.clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: restored }));
      assert.equal(ttl.TimeToLiveDescription?.AttributeName, 'expires');
    } else {
      // The store has no TTL API: the schema says TTL is unknown and restore must not invent it.
      assert.deepEqual(report.warnings, []);
    }
  });

  test('segments yield every item exactly once, as objects and as the JSON text DynamoDB sent', async () => {
    const table = uniqueName('segments');
    const items: Item[] = Array.from({ length: 2500 }, (_, i) => ({
      pk: { S: `item-${i} "quoted" \\ é` },
      v: { N: String(i) },
      b: { B: Uint8Array.from([i % 256, 0, 255]) },
      m: { M: { l: { L: [{ S: 'x' }, { BOOL: true }] } } },
    }));
    await createTable(target.clients.dynamodb, { TableName: table });
    await putItems(target.clients.dynamodb, table, items);
    const expected = new Map(items.map((item) => [item.pk!.S!, JSON.parse(itemToLine(item)) as { Item: unknown }]));
    // The keys one segment yields, read each way; the JSON text must be the item the SDK would have read.
    const readers = {
      objects: async (segment: number, totalSegments: number): Promise<string[]> => {
        const keys: string[] = [];
        const options = { table, segment, totalSegments, pageLimit: 97 };
        for await (const page of scanSegment(target.clients.dynamodb, options)) {
          assert.equal(page.segment, segment);
          keys.push(...page.items.map((item) => item.pk!.S!));
        }
        return keys;
      },
      json: async (segment: number, totalSegments: number): Promise<string[]> => {
        const keys: string[] = [];
        const options = { table, segment, totalSegments, pageLimit: 97 };
        for await (const page of scanSegmentJson(target.clients.dynamodb, options)) {
          assert.equal(page.segment, segment);
          assert.ok(page.consumedUnits > 0, 'the page still says what it consumed');
          for (const text of page.items) {
            const item = JSON.parse(text.toString('utf8')) as { pk: { S: string } };
            assert.deepEqual({ Item: item }, expected.get(item.pk.S));
            keys.push(item.pk.S);
          }
        }
        return keys;
      },
    };
    for (const [form, read] of Object.entries(readers)) {
      for (const totalSegments of [1, 3, 7, 16]) {
        const perSegment = await Promise.all(
          Array.from({ length: totalSegments }, (_, segment) => read(segment, totalSegments)),
        );
        const seen = perSegment.flat();
        assert.equal(seen.length, items.length, `${form}, ${totalSegments} segments: no item twice, none missing`);
        assert.equal(new Set(seen).size, items.length);
      }
    }
  });

  test("a Scan page's item bytes are freed once the next page is asked for, not left to the garbage collector", async () => {
    const table = uniqueName('page-release');
    const items: Item[] = Array.from({ length: 300 }, (_, i) => ({ pk: { S: `p${i}` }, v: { N: String(i) } }));
    await createTable(target.clients.dynamodb, { TableName: table });
    await putItems(target.clients.dynamodb, table, items);
    const keys: string[] = [];
    let previous: Buffer[] = [];
    let pages = 0;
    for await (const page of scanSegmentJson(target.clients.dynamodb, {
      table,
      segment: 0,
      totalSegments: 1,
      pageLimit: 70,
    })) {
      // The page before this one is spent: its views into the old response body are empty now.
      assert.ok(previous.length === 0 || previous.every((text) => text.length === 0), `page ${pages} freed`);
      // Copied while valid (as SegmentWriter.writePage does), the texts are the items.
      for (const text of page.items) keys.push((JSON.parse(text.toString('utf8')) as { pk: { S: string } }).pk.S);
      previous = page.items;
      pages++;
    }
    assert.ok(pages >= 5, `${pages} pages`);
    assert.deepEqual(keys.sort(), items.map((item) => item.pk!.S!).sort());
  });

  test('--verify per-file: a damaged data file is caught before any of its items is written, and the error says what was written', async () => {
    const table = uniqueName('damaged');
    const items: Item[] = Array.from({ length: 900 }, (_, i) => ({ pk: { S: `d${i}` }, v: { N: String(i) } }));
    await createTable(target.clients.dynamodb, { TableName: table });
    await putItems(target.clients.dynamodb, table, items);
    const backup = await backupTable(target.clients, { table, bucket: target.bucket, segments: 3 });
    const manifest = parseManifest((await readDataFile(target, backup.manifestKey)).toString(), 'manifest');
    assert.equal(manifest.files.length, 3);
    const dir = backup.manifestKey.replace(/manifest\.json$/, '');
    const [first, second] = manifest.files;
    const firstItems = gunzipSync(await readDataFile(target, dir + first!.key))
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((line, i) => lineToItem(line, String(i)));

    // Damage the second file but keep it valid gzip, so only the checksum can catch it.
    const secondText = gunzipSync(await readDataFile(target, dir + second!.key)).toString();
    const tampered = (await import('node:zlib')).gzipSync(secondText.replace('"N":"1', '"N":"9'));
    await target.clients.s3.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: dir + second!.key, Body: tampered }),
    );

    const restored = uniqueName('damaged-restored');
    const error = await restoreTable(target.clients, {
      source: { uri: backup.uri },
      target: restored,
      fileConcurrency: 1,
      verify: 'per-file',
    }).then(
      () => assert.fail('restore of a damaged backup must fail'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof ColdkeepError);
    assert.equal(error.code, 'ChecksumMismatch');
    assert.match(error.message, /damaged/);
    assert.match(error.message, /1 file in full, 0 files in part, 2 files not started/);
    const files = error.details?.files as { key: string; outcome: string; items: number }[];
    assert.deepEqual(
      files.map((f) => [f.key.slice(dir.length), f.outcome, f.items]),
      [
        [first!.key, 'written', first!.items],
        [second!.key, 'damaged', 0],
        [manifest.files[2]!.key, 'not-written', 0],
      ],
    );
    assertSameItems(await scanAll(target.clients.dynamodb, restored), firstItems);
  });

  test('restore refuses a non-empty target without --overwrite, and a dry run writes nothing', async () => {
    const table = uniqueName('guard');
    const items: Item[] = Array.from({ length: 50 }, (_, i) => ({ pk: { S: `g${i}` } }));
    await createTable(target.clients.dynamodb, { TableName: table });
    await putItems(target.clients.dynamodb, table, items);
    const backup = await backupTable(target.clients, { table, bucket: target.bucket, segments: 1 });
    await assert.rejects(restoreTable(target.clients, { source: { uri: backup.uri } }), (err: ColdkeepError) => {
      assert.equal(err.code, 'TableExists');
      assert.match(err.hint ?? '', /the overwrite setting/);
      return true;
    });
    const dry = await restoreTable(target.clients, {
      source: { uri: backup.uri },
      target: uniqueName('never'),
      dryRun: true,
    });
    assert.equal(dry.itemsWritten, 0);
    assert.equal(dry.itemsVerified, 50);
    assert.equal(dry.createdTable, false);
    const overwrite = await restoreTable(target.clients, { source: { uri: backup.uri }, overwrite: true });
    assert.equal(overwrite.itemsWritten, 50);
    assert.equal((await scanAll(target.clients.dynamodb, table)).length, 50);
  });

  test('missing table and missing bucket fail early with a code and a hint, and leave nothing behind', async () => {
    await assert.rejects(
      backupTable(target.clients, { table: 'no-such-table', bucket: target.bucket }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'NoSuchTable');
        assert.match(err.hint ?? '', /tables list/);
        return true;
      },
    );
    const table = uniqueName('nobucket');
    await createTable(target.clients.dynamodb, { TableName: table });
    await assert.rejects(
      backupTable(target.clients, { table, bucket: 'no-such-bucket-here' }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'NoSuchBucket');
        assert.ok(err.hint);
        return true;
      },
    );
  });

  test('the catalog lists complete backups newest first, "latest" finds the newest, and a folder without manifest is apart', async () => {
    const table = uniqueName('catalog');
    await createTable(target.clients.dynamodb, { TableName: table });
    await putItems(target.clients.dynamodb, table, [{ pk: { S: 'one' } }]);
    const prefix = uniqueName('cat');
    const first = await backupTable(target.clients, {
      table,
      bucket: target.bucket,
      prefix,
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
    const second = await backupTable(target.clients, {
      table,
      bucket: target.bucket,
      prefix,
      now: () => new Date('2026-02-01T00:00:00Z'),
    });
    const orphan = `${prefix}/tables/000000000000/us-east-1/${table}/20260301T000000Z-dead/data/0000-0001.json.gz`;
    await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: orphan, Body: 'partial' }));

    const catalog = await listBackups(target.clients.s3, { bucket: target.bucket, prefix, table });
    assert.deepEqual(
      catalog.backups.map((b) => b.backupId),
      [second.backupId, first.backupId],
    );
    assert.equal(catalog.backups[0]!.itemCount, 1);
    assert.equal(catalog.backups[0]!.storageClass, 'STANDARD');
    assert.deepEqual(
      catalog.incomplete.map((i) => i.backupId),
      ['20260301T000000Z-dead'],
    );
    const latest = await restoreTable(target.clients, {
      source: { bucket: target.bucket, prefix, table, backupId: 'latest' },
      target: uniqueName('latest'),
      dryRun: true,
    });
    assert.equal(latest.backupId, second.backupId);
  });
});
