// An item restore by key reads every line of a backup but parses only those its bytes cannot rule
// out. The shortcut may say "skip" only where the full parse would find an item with the table's
// key that is not wanted; these lines try to make it skip a wanted item.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalKey, HashKeyShortcut, type KeyAttribute, LineSplitter, type RawItem } from '@coldkeep/shared';

/** What the selection's full parse decides: the item's canonical key, or undefined (no key: an error). */
function fullParseKey(line: string, keys: KeyAttribute[]): string | undefined {
  const record = JSON.parse(line) as { Item?: RawItem; NewImage?: RawItem; Keys?: RawItem };
  const item = record.Item ?? record.NewImage ?? record.Keys;
  return item ? canonicalKey(item, keys) : undefined;
}

/** Asserts the shortcut's answer for each line, and that every skip is one the full parse agrees with. */
function check(keys: KeyAttribute[], wanted: RawItem[], cases: [line: string, skip: boolean][]): void {
  const shortcut = HashKeyShortcut.create(keys, wanted)!;
  const wantedKeys = new Set(wanted.map((k) => canonicalKey(k, keys)));
  for (const [line, expected] of cases) {
    // The line inside a longer buffer, as a range of a gunzipped chunk, with lines around it.
    const before = '{"Item":{"pk":{"S":"x"}}}\n';
    const buf = Buffer.from(`${before}${line}\n{"Item":{"pk":{"S":"y"}}}`);
    const from = Buffer.byteLength(before);
    const skipped = shortcut.skip(buf, from, from + Buffer.byteLength(line));
    assert.equal(skipped, expected, line);
    if (skipped) {
      const key = fullParseKey(line, keys);
      assert.ok(key !== undefined && !wantedKeys.has(key), `skipped, but the full parse says ${key}: ${line}`);
    }
  }
}

const pk: KeyAttribute[] = [{ name: 'pk', type: 'S' }];

describe('the hash-key shortcut of an item restore', () => {
  test('the key value in another attribute, before or after the key, is not the key', () => {
    check(
      pk,
      [{ pk: { S: 'wanted' } }],
      [
        ['{"Item":{"ref":{"S":"wanted"},"pk":{"S":"other"}}}', true],
        ['{"Item":{"pk":{"S":"other"},"ref":{"S":"wanted"}}}', true],
        ['{"Item":{"ref":{"S":"other"},"pk":{"S":"wanted"}}}', false],
        ['{"Item":{"pk":{"S":"wanted"},"ref":{"S":"other"}}}', false],
        ['{"Item":{"pk":{"S":"wanted-not"}}}', true],
        ['{"Item":{"pk":{"S":"wante"}}}', true],
      ],
    );
  });

  test('the key name nested in a map, a list or a string, or ending another name, is not the key', () => {
    check(
      pk,
      [{ pk: { S: 'wanted' } }],
      [
        ['{"Item":{"m":{"M":{"pk":{"S":"other"}}},"pk":{"S":"wanted"}}}', false],
        ['{"Item":{"m":{"M":{"pk":{"S":"wanted"}}},"pk":{"S":"other"}}}', true],
        ['{"Item":{"l":{"L":[{"M":{"pk":{"S":"wanted"}}}]},"pk":{"S":"other"}}}', true],
        ['{"Item":{"note":{"S":"\\"pk\\":{\\"S\\":\\"other\\"}},"},"pk":{"S":"wanted"}}}', false],
        ['{"Item":{"note":{"S":"}},\\"pk\\":{\\"S\\":\\"wanted\\"}"},"pk":{"S":"other"}}}', true],
        ['{"Item":{"xpk":{"S":"other"},"pk":{"S":"wanted"}}}', false],
        ['{"Item":{"pkx":{"S":"other"},"pk":{"S":"wanted"}}}', false],
        // A name with an escaped quote: `a"pk` then the real key.
        ['{"Item":{"a\\"pk":{"S":"other"},"pk":{"S":"wanted"}}}', false],
      ],
    );
  });

  test('escapes are parsed in full: in the key name, in the key value, in a name before the key', () => {
    check(
      pk,
      [{ pk: { S: 'wanted' } }],
      [
        ['{"Item":{"\\u0070k":{"S":"wanted"}}}', false],
        ['{"Item":{"\\u0070k":{"S":"other"}}}', false],
        ['{"Item":{"pk":{"S":"wan\\u0074ed"}}}', false],
        ['{"Item":{"pk":{"S":"wan\\"ted"}}}', false],
        ['{"Item":{"p\\u006b":{"S":"wanted"},"x":{"S":"1"}}}', false],
      ],
    );
  });

  test('non-ASCII keys compare by their text, as the full parse decodes them', () => {
    check(
      pk,
      [{ pk: { S: 'Zoë' } }, { pk: { S: '\ufffd' } }],
      [
        ['{"Item":{"pk":{"S":"Zoë"}}}', false],
        ['{"Item":{"pk":{"S":"Zoe"}}}', true],
        ['{"Item":{"pk":{"S":"Zoëe"}}}', true],
      ],
    );
    // Invalid UTF-8 decodes to U+FFFD in the full parse: a wanted U+FFFD key is not skipped.
    const shortcut = HashKeyShortcut.create(pk, [{ pk: { S: '\ufffd' } }])!;
    const line = Buffer.concat([Buffer.from('{"Item":{"pk":{"S":"'), Buffer.from([0xff]), Buffer.from('"}}}')]);
    assert.equal(shortcut.skip(line, 0, line.length), false);
  });

  test('numbers by value: "1", "1.0", "1e0" and "01" are the same key', () => {
    const id: KeyAttribute[] = [{ name: 'id', type: 'N' }];
    check(
      id,
      [{ id: { N: '1' } }],
      [
        ['{"Item":{"id":{"N":"1"}}}', false],
        ['{"Item":{"id":{"N":"1.0"}}}', false],
        ['{"Item":{"id":{"N":"1e0"}}}', false],
        ['{"Item":{"id":{"N":"01"}}}', false],
        ['{"Item":{"id":{"N":"10"}}}', true],
        ['{"Item":{"id":{"N":"0.1"}}}', true],
        ['{"Item":{"id":{"N":"-1"}}}', true],
      ],
    );
    check(
      id,
      [{ id: { N: '1.50' } }],
      [
        ['{"Item":{"id":{"N":"1.5"}}}', false],
        ['{"Item":{"id":{"N":"15e-1"}}}', false],
        ['{"Item":{"id":{"N":"15"}}}', true],
      ],
    );
  });

  test('a line the full parse would refuse, or reads another way, is never skipped', () => {
    check(
      pk,
      [{ pk: { S: 'wanted' } }],
      [
        ['{"Item":{"pk":{"N":"5"}}}', false], // the key of another type
        ['{"Item":{"name":{"S":"other"}}}', false], // no key
        ['{"Item":{}}', false],
        ['{"Item":{"pk": {"S":"other"}}}', false], // spacing
        ['{"Item": {"pk":{"S":"other"}}}', false],
        ['{"Item":{"pk":{"S":"other","N":"1"}}}', false],
        ['{"Keys":{"pk":{"S":"other"}}}', false], // a change record
        ['{"NewImage":{"pk":{"S":"wanted"}},"Item":{"pk":{"S":"other"}}}', false],
      ],
    );
  });

  test('a table with a sort key: skipped by the hash key, only when the sort key is there too', () => {
    const keys: KeyAttribute[] = [
      { name: 'pk', type: 'S' },
      { name: 'sk', type: 'N' },
    ];
    check(
      keys,
      [{ pk: { S: 'a' }, sk: { N: '1' } }],
      [
        ['{"Item":{"pk":{"S":"b"},"sk":{"N":"1"}}}', true],
        ['{"Item":{"sk":{"N":"1"},"v":{"S":"a"},"pk":{"S":"b"}}}', true],
        ['{"Item":{"pk":{"S":"a"},"sk":{"N":"2"}}}', false], // the full parse tells the sort key
        ['{"Item":{"pk":{"S":"b"}}}', false], // no sort key: the full parse refuses it
        ['{"Item":{"pk":{"S":"b"},"sk":{"S":"1"}}}', false],
      ],
    );
  });

  test('a binary hash key has no shortcut (base64 has more than one spelling)', () => {
    assert.equal(HashKeyShortcut.create([{ name: 'pk', type: 'B' }], [{ pk: { B: 'AQ==' } }]), undefined);
  });
});

describe('lines cut out of gunzipped chunks', () => {
  const split = (chunks: string[]): string[] => {
    const out: string[] = [];
    const splitter = new LineSplitter((buf, from, to, n) => out.push(`${n}:${buf.toString('utf8', from, to)}`));
    for (const c of chunks) splitter.push(Buffer.from(c));
    splitter.end();
    return out;
  };

  test('a line across several chunks, CRLF, blank lines and a last line without a line feed', () => {
    assert.deepEqual(split(['ab', 'c', 'd\r\n\n  \t\r\ne', 'f\ng', '', 'h']), ['1:abcd', '2:ef', '3:gh']);
    assert.deepEqual(split(['a\n', 'b\n']), ['1:a', '2:b']);
    assert.deepEqual(split(['', '\n\n']), []);
  });
});
