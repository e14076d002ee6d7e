// Unit tests of cutting a Scan response body into item texts (`splitScanBody`): the backup
// writes those bytes as they are, so they must be exactly each item and nothing else.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { AwsClients, scanSegmentJson, splitScanBody } from '@coldkeep/shared';
import { mockClient } from 'aws-sdk-client-mock';

const every = {
  pk: { S: 'tricky "quoted" \\ back\\slash {braces} [brackets], commas: colons' },
  n: { N: '-12.5e3' },
  b: { B: 'AAEC/w==' },
  bool: { BOOL: false },
  nul: { NULL: true },
  m: { M: { inner: { L: [{ S: 'é ü 漢字 😀' }, { N: '1' }, { M: {} }, { L: [] }] } } },
  ss: { SS: ['a', 'b\n"c"'] },
  ns: { NS: ['1', '2'] },
  bs: { BS: ['AQ==', 'Ag=='] },
  ends: { S: 'ends with a backslash \\' },
};

function split(text: string) {
  const result = splitScanBody(Buffer.from(text));
  assert.ok(result, `splits ${text.slice(0, 60)}`);
  return {
    items: result.items.map((b) => b.toString('utf8')),
    rest: JSON.parse(result.rest.toString('utf8')) as Record<string, unknown>,
  };
}

describe('splitScanBody', () => {
  test('cuts each item out as its exact text and keeps the other fields', () => {
    const page = {
      Items: [every, { pk: { S: 'two' } }],
      Count: 2,
      ScannedCount: 2,
      LastEvaluatedKey: { pk: { S: 'two' } },
      ConsumedCapacity: { TableName: 't', CapacityUnits: 1.5 },
    };
    const { items, rest } = split(JSON.stringify(page));
    assert.deepEqual(
      items,
      page.Items.map((item) => JSON.stringify(item)),
    );
    assert.deepEqual(rest, {
      Count: 2,
      ScannedCount: 2,
      LastEvaluatedKey: page.LastEvaluatedKey,
      ConsumedCapacity: page.ConsumedCapacity,
    });
  });

  test('finds the items wherever they stand among the fields', () => {
    const { items, rest } = split(`{"Count":1,"Items":[${JSON.stringify(every)}],"ScannedCount":3}`);
    assert.deepEqual(items, [JSON.stringify(every)]);
    assert.deepEqual(rest, { Count: 1, ScannedCount: 3 });
  });

  test('puts an item spread over several lines on one line, with the same content', () => {
    const page = { Items: [every, every], Count: 2 };
    const { items, rest } = split(JSON.stringify(page, null, 2));
    assert.equal(items.length, 2);
    for (const item of items) {
      assert.ok(!item.includes('\n') && !item.includes('\r'), 'one line');
      assert.deepEqual(JSON.parse(item), every);
    }
    assert.deepEqual(rest, { Count: 2 });
  });

  test('an empty page, and a page without items', () => {
    assert.deepEqual(split('{"Items":[],"Count":0,"ScannedCount":0}'), {
      items: [],
      rest: { Count: 0, ScannedCount: 0 },
    });
    assert.deepEqual(split(' { } '), { items: [], rest: {} });
    assert.deepEqual(split('{"Count":0}'), { items: [], rest: { Count: 0 } });
  });

  test('a body it cannot read whole is left to the SDK (undefined), never half cut', () => {
    const whole = JSON.stringify({ Items: [every, every], Count: 2 });
    for (let cut = 1; cut < whole.length; cut += 7) {
      assert.equal(splitScanBody(Buffer.from(whole.slice(0, cut))), undefined, `cut at ${cut}`);
    }
    for (const bad of [
      '',
      '[]',
      '{"Items":{}}',
      '{"Items":[1]}',
      '{"Items":["x"]}',
      '{"Items":[{}] x}',
      '{"Count":1}{}',
    ]) {
      assert.equal(splitScanBody(Buffer.from(bad)), undefined, bad);
    }
  });

  test('random items of every type come out as they went in', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chars = ['a', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'é', '\n', '\u0001', '😀'];
    const text = () =>
      Array.from({ length: Math.floor(random() * 12) }, () => chars[Math.floor(random() * chars.length)]).join('');
    const value = (depth: number): unknown => {
      const kind = Math.floor(random() * (depth > 2 ? 4 : 6));
      if (kind === 0) return { S: text() };
      if (kind === 1) return { N: String(random()) };
      if (kind === 2) return { BOOL: random() < 0.5 };
      if (kind === 3) return { SS: [text(), text()] };
      if (kind === 4) return { L: [value(depth + 1), value(depth + 1)] };
      return { M: { [text()]: value(depth + 1), [text() + 'x']: value(depth + 1) } };
    };
    const page = { Items: Array.from({ length: 200 }, () => ({ pk: { S: text() }, v: value(0) })), Count: 200 };
    const { items } = split(JSON.stringify(page));
    assert.deepEqual(
      items.map((item) => JSON.parse(item) as unknown),
      page.Items,
    );
    assert.deepEqual(
      items,
      page.Items.map((item) => JSON.stringify(item)),
    );
  });
});

describe('scanSegmentJson', () => {
  test('a page whose Count differs from the items read is read again, and fails if it stays so', async () => {
    const clients = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const ddb = mockClient(clients.dynamodb);
    try {
      // A test double answers without HTTP: the SDK's parsed items are printed back.
      ddb
        .on(ScanCommand)
        .resolvesOnce({ Items: [{ pk: { S: 'a' } }], Count: 2 })
        .resolves({
          Items: [{ pk: { S: 'a' } }, { pk: { S: 'b' }, bin: { B: Uint8Array.from([1, 2]) } }],
          Count: 2,
        });
      const options = { table: 't', segment: 0, totalSegments: 1, backoff: { baseMs: 1, maxMs: 2, maxAttempts: 3 } };
      const pages = [];
      for await (const page of scanSegmentJson(clients.dynamodb, options)) pages.push(page);
      assert.equal(ddb.commandCalls(ScanCommand).length, 2, 'the short page was read again');
      assert.deepEqual(
        pages[0]!.items.map((b) => b.toString('utf8')),
        ['{"pk":{"S":"a"}}', '{"pk":{"S":"b"},"bin":{"B":"AQI="}}'],
      );

      ddb.reset();
      ddb.on(ScanCommand).resolves({ Items: [], Count: 5 });
      await assert.rejects(async () => {
        for await (const _page of scanSegmentJson(clients.dynamodb, options)) assert.fail('no page is yielded');
      }, /says it holds 5 items, but 0 were read/);
      assert.equal(ddb.commandCalls(ScanCommand).length, 3, 'tried as often as the policy says');
    } finally {
      ddb.restore();
      clients.destroy();
    }
  });
});
