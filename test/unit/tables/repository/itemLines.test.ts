// Item lines: one DynamoDB JSON item per line, every attribute type round-tripping.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ColdkeepError, type Item, itemToLine, lineItemJson, lineToItem } from '@coldkeep/shared';

/** Binary values as hex, so items compare whatever byte container they use. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

describe('item lines (DynamoDB JSON)', () => {
  const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
  const every: Item = {
    s: { S: 'plain' },
    unicode: { S: 'héllo wörld — 日本語 — 🧊❄️ — e\u0301 — \u05e9\u05dc\u05d5\u05dd — "quoted" \\ back\\slash' },
    controls: { S: 'line1\nline2\r\ttab \u2028 \u2029 \u0000 end' },
    empty: { S: '' },
    n: { N: '-12345.6789e10' },
    big: { N: '123456789012345678901234567890123456789' },
    b: { B: bytes(0, 1, 2, 253, 254, 255) },
    emptyB: { B: bytes() },
    ss: { SS: ['a', 'ü', '🧊'] },
    ns: { NS: ['1', '2.5', '-3'] },
    bs: { BS: [bytes(1), bytes(2, 3), bytes(255, 0)] },
    bool: { BOOL: false },
    nul: { NULL: true },
    emptyL: { L: [] },
    emptyM: { M: {} },
    m: {
      M: {
        inner: { B: bytes(9, 8, 7) },
        set: { BS: [bytes(0xde, 0xad), bytes(0xbe, 0xef)] },
        deeper: { M: { list: { L: [{ B: bytes(42) }, { S: 'x' }, { M: { z: { BS: [bytes(1, 2)] } } }] } } },
        'ключ 🗝': { S: 'значение' },
      },
    },
    l: {
      L: [
        { B: bytes(1, 2, 3) },
        { N: '1' },
        { L: [{ BS: [bytes(4)] }] },
        { M: { b: { B: bytes(5) } } },
        { NULL: true },
      ],
    },
    'attribute name with spaces & ünïcödé': { S: 'ok' },
  };

  test('every attribute type round-trips, binaries nested in M and L included', () => {
    const line = itemToLine(every);
    const back = lineToItem(line.trimEnd(), 'test:1');
    assert.deepEqual(normalize(back), normalize(every));
    assert.deepEqual(Object.keys(back), Object.keys(every));
    assert.ok(back.b!.B instanceof Uint8Array);
    assert.ok(back.m!.M!.set!.BS![1] instanceof Uint8Array);
    assert.ok(back.l!.L![0]!.B instanceof Uint8Array);
  });

  test('one line per item: a single trailing newline, no raw CR/LF inside', () => {
    const line = itemToLine(every);
    assert.equal(line.at(-1), '\n');
    assert.equal(line.slice(0, -1).includes('\n'), false);
    assert.equal(line.includes('\r'), false);
  });

  test('a line is DynamoDB JSON {"Item":…} with base64 binaries at every depth', () => {
    const line = itemToLine({
      pk: { S: 'k' },
      b: { B: bytes(0, 1, 2, 255) },
      bs: { BS: [bytes(104, 105), bytes()] },
      m: { M: { b: { B: bytes(255, 254) } } },
      l: { L: [{ B: bytes(1, 2, 3) }, { M: { bs: { BS: [bytes(0)] } } }] },
    });
    assert.deepEqual(JSON.parse(line), {
      Item: {
        pk: { S: 'k' },
        b: { B: 'AAEC/w==' },
        bs: { BS: ['aGk=', ''] },
        m: { M: { b: { B: '//4=' } } },
        l: { L: [{ B: 'AQID' }, { M: { bs: { BS: ['AA=='] } } }] },
      },
    });
  });

  test('a binary that is a view into a larger buffer encodes only its own bytes', () => {
    const backing = Buffer.from([9, 9, 1, 2, 3, 9, 9]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 3);
    assert.deepEqual(JSON.parse(itemToLine({ b: { B: view } })), { Item: { b: { B: 'AQID' } } });
    assert.deepEqual(JSON.parse(itemToLine({ b: { BS: [backing.subarray(3, 5)] } })), {
      Item: { b: { BS: ['AgM='] } },
    });
  });

  test('encoding does not modify the item it is given', () => {
    const item: Item = { b: { B: bytes(1) }, m: { M: { b: { B: bytes(2) } } }, l: { L: [{ B: bytes(3) }] } };
    itemToLine(item);
    assert.ok(item.b!.B instanceof Uint8Array);
    assert.ok(item.m!.M!.b!.B instanceof Uint8Array);
    assert.ok(item.l!.L![0]!.B instanceof Uint8Array);
  });

  test('an item without binaries is written as is', () => {
    const item: Item = { pk: { S: 'a' }, n: { N: '1' }, m: { M: { x: { SS: ['q'] } } } };
    assert.equal(itemToLine(item), `{"Item":${JSON.stringify(item)}}\n`);
  });

  test('reads DynamoDB native export lines', () => {
    const item = lineToItem('{"Item":{"id":{"S":"1"},"data":{"B":"aGVsbG8="},"tags":{"SS":["x","y"]}}}', 'export:1');
    assert.deepEqual(normalize(item), {
      id: { S: '1' },
      data: { B: { bytes: Buffer.from('hello').toString('hex') } },
      tags: { SS: ['x', 'y'] },
    });
  });

  test('a damaged line is ManifestInvalid naming where it is', () => {
    assert.throws(
      () => lineToItem('{"Item":{"a":', 'data/0000-0001.json.gz:7'),
      (err: unknown) => {
        assert.ok(err instanceof ColdkeepError);
        assert.equal(err.code, 'ManifestInvalid');
        assert.match(err.message, /data\/0000-0001\.json\.gz:7/);
        return true;
      },
    );
    assert.throws(() => lineToItem('{"NotItem":{}}', 'f:2'), {
      code: 'ManifestInvalid',
      message: /f:2 has no "Item" object/,
    });
    assert.throws(() => lineToItem('{"Item":"text"}', 'f:3'), { code: 'ManifestInvalid' });
  });

  test('an attribute named "__proto__" survives the round trip', () => {
    // DynamoDB allows any attribute name; JSON.parse keeps "__proto__" as an own key.
    const line = '{"Item":{"pk":{"S":"a"},"__proto__":{"S":"x"},"m":{"M":{"__proto__":{"N":"1"}}}}}';
    const item = lineToItem(line, 'f:1');
    assert.deepEqual(Object.keys(item), ['pk', '__proto__', 'm']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(item, '__proto__')?.value, { S: 'x' });
    assert.deepEqual(Object.keys(item.m!.M!), ['__proto__']);
  });

  test('lineItemJson gives the item text of an exact {"Item":…} line and nothing else', () => {
    const item = '{"pk":{"S":"a \\"}{\\" \\\\"},"m":{"M":{"l":{"L":[{"N":"1"}]}}}}';
    const text = (line: string) => lineItemJson(Buffer.from(line))?.toString('utf8');
    assert.equal(text(`{"Item":${item}}`), item);
    assert.deepEqual(JSON.parse(text(itemToLine({ pk: { S: '}"{' } }).trimEnd())!), JSON.parse('{"pk":{"S":"}\\"{"}}'));
    for (const other of [
      `{"Item":${item},"Other":1}`, // more than the item
      `{"Item":${item}} `, // trailing space
      ` {"Item":${item}}`,
      `{ "Item": ${item}}`,
      `{"Item":${item}`, // cut short
      `{"Item":"text"}`,
      `{"Keys":${item},"NewImage":${item}}`, // a change record
      '',
      '{"Item":}',
    ]) {
      assert.equal(text(other), undefined, other);
    }
  });
});
