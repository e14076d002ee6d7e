// `exportTable` against dynalite and s3rver (or the AWS-compatible endpoint given by the
// environment): one JSON or CSV file with every item, to S3 or a local path, and nothing
// that looks finished when it fails.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { exportTable, type ExportProgress, type Item } from '@coldkeep/shared';
import { createTable, putItems, startTarget, type TestTarget, uniqueName } from '../helpers/fixture';

const BIG = '12345678901234567890123456789012345678';

function items(): Item[] {
  return [
    {
      pk: { S: 'all-types' },
      sk: { N: '1' },
      name: { S: 'Ada, "the first" programmer\nof engines' },
      big: { N: BIG },
      neg: { N: '-0.5' },
      ok: { BOOL: true },
      none: { NULL: true },
      bin: { B: new Uint8Array([0, 1, 254, 255]) },
      tags: { SS: ['a', 'b'] },
      list: { L: [{ S: 'x' }, { N: '2' }, { M: { k: { BOOL: false } } }] },
      map: { M: { city: { S: 'Zürich' } } },
    },
    ...Array.from({ length: 250 }, (_, i) => ({ pk: { S: `k${i}` }, sk: { N: String(i) }, n: { N: String(i * 2) } })),
  ];
}

describe('export table', () => {
  let target: TestTarget;
  let table: string;
  let dir: string;

  before(async () => {
    target = await startTarget();
    table = uniqueName('export');
    await createTable(target.clients.dynamodb, {
      TableName: table,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
    });
    await putItems(target.clients.dynamodb, table, items());
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-export-test-'));
  });
  after(async () => {
    await target?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('JSON to S3: one array of plain items, exact numbers, binary as base64, sets as arrays', async () => {
    const key = `exports/${table}.json`;
    const seen: ExportProgress[] = [];
    const report = await exportTable(
      target.clients,
      { table, format: 'json', to: `s3://${target.bucket}/${key}`, segments: 3 },
      { onProgress: (p) => seen.push(p) },
    );
    assert.equal(report.itemCount, 251);
    assert.equal(report.location, `s3://${target.bucket}/${key}`);
    assert.equal(seen.at(-1)?.items, 251);
    const object = await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
    assert.match(object.ContentType ?? '', /^application\/json/);
    const text = await object.Body!.transformToString();
    assert.equal(Buffer.byteLength(text), report.bytes);
    assert.match(text, new RegExp(`"big":${BIG}[,}]`), 'a 38-digit number keeps every digit');
    const parsed = JSON.parse(text) as Record<string, unknown>[];
    assert.equal(parsed.length, 251);
    const all = parsed.find((i) => i.pk === 'all-types')!;
    assert.deepEqual(
      { ...all, big: undefined },
      {
        pk: 'all-types',
        sk: 1,
        name: 'Ada, "the first" programmer\nof engines',
        big: undefined,
        neg: -0.5,
        ok: true,
        none: null,
        bin: Buffer.from([0, 1, 254, 255]).toString('base64'),
        tags: ['a', 'b'],
        list: ['x', 2, { k: false }],
        map: { city: 'Zürich' },
      },
    );
  });

  test('CSV to a local path: key columns first, then by name; quoting per RFC 4180; nothing left behind', async () => {
    const path = join(dir, 'out', `${table}.csv`);
    const report = await exportTable(target.clients, { table, format: 'csv', to: path, segments: 2, tempDir: dir });
    assert.deepEqual(report.columns, [
      'pk',
      'sk',
      'big',
      'bin',
      'list',
      'map',
      'n',
      'name',
      'neg',
      'none',
      'ok',
      'tags',
    ]);
    const text = await readFile(path, 'utf8');
    assert.equal(Buffer.byteLength(text), report.bytes);
    const lines = text.split('\r\n');
    assert.equal(lines[0], 'pk,sk,big,bin,list,map,n,name,neg,none,ok,tags');
    assert.equal(lines.at(-1), '', 'ends with CRLF');
    assert.ok(lines.includes('k7,7,,,,,14,,,,,'), 'a sparse row has empty cells');
    const row = [
      'all-types',
      '1',
      BIG,
      Buffer.from([0, 1, 254, 255]).toString('base64'),
      '"[""x"",2,{""k"":false}]"',
      '"{""city"":""Zürich""}"',
      '',
      '"Ada, ""the first"" programmer\nof engines"',
      '-0.5',
      '',
      'true',
      '"[""a"",""b""]"',
    ].join(',');
    assert.ok(text.includes(`\r\n${row}\r\n`), 'the all-types row, quoted');
    // The header and 251 rows; the quoted line break inside a cell is a bare LF, so it splits nothing.
    assert.equal(lines.length - 1, 252);
    assert.deepEqual(await readdir(join(dir, 'out')), [`${table}.csv`], 'no temporary file left');
    assert.deepEqual((await readdir(dir)).sort(), ['out'], 'the CSV spool folder was removed');
  });

  test('a failed export leaves no file that looks complete, and names the cause', async () => {
    const path = join(dir, 'failed', 'missing.json');
    await assert.rejects(exportTable(target.clients, { table: uniqueName('missing'), format: 'json', to: path }), {
      code: 'NoSuchTable',
    });
    await assert.rejects(readdir(join(dir, 'failed')), { code: 'ENOENT' });
    await assert.rejects(exportTable(target.clients, { table, format: 'json', to: `s3://${target.bucket}/` }), {
      code: 'InvalidInput',
    });
  });

  test('cancelling mid-export aborts the upload: no object at the key', async () => {
    const key = `exports/cancelled-${table}.json`;
    const controller = new AbortController();
    await assert.rejects(
      exportTable(
        target.clients,
        { table, format: 'json', to: `s3://${target.bucket}/${key}`, segments: 4, concurrency: 1 },
        { signal: controller.signal, onProgress: (p) => p.items > 0 && controller.abort() },
      ),
      { code: 'Cancelled' },
    );
    await assert.rejects(target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key })), {
      name: 'NoSuchKey',
    });
  });
});
