// restore --where and --key: the small parser and the key typing, on items as backup lines hold them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalKey,
  canonicalNumber,
  compareDecimal,
  hashKeyPrefilter,
  keyAttributes,
  matchesWhere,
  parsePlainKey,
  parseWhere,
  type RawItem,
} from '@coldkeep/shared';

const item: RawItem = {
  pk: { S: 'user#1' },
  sk: { N: '15' },
  name: { S: 'Zoë' },
  active: { BOOL: true },
  gone: { NULL: true },
  'odd name': { S: 'x' },
};
const matches = (expr: string, it: RawItem = item): boolean => matchesWhere(parseWhere(expr), it);

describe('--where', () => {
  test('equality, comparisons, BETWEEN and begins_with on strings and numbers', () => {
    assert.equal(matches("pk = 'user#1'"), true);
    assert.equal(matches('pk = "user#2"'), false);
    assert.equal(matches("pk <> 'user#2'"), true);
    assert.equal(matches('sk = 15'), true);
    assert.equal(matches('sk = 15.0'), true, 'numbers compare by value');
    assert.equal(matches('sk = 1.5e1'), true);
    assert.equal(matches("sk = '15'"), false, 'a string never equals a number');
    assert.equal(matches('sk BETWEEN 10 AND 15'), true);
    assert.equal(matches('sk BETWEEN 16 AND 20'), false);
    assert.equal(matches('sk > 9'), true, 'numeric, not text order');
    assert.equal(matches('sk < -1'), false);
    assert.equal(matches("begins_with(pk, 'user#')"), true);
    assert.equal(matches("begins_with(pk, 'admin')"), false);
    assert.equal(matches("begins_with(sk, '1')"), false, 'begins_with is for strings');
    assert.equal(matches("pk BETWEEN 'user#0' AND 'user#5'"), true);
  });

  test('AND binds tighter than OR; NOT, parentheses, exists, BOOL, NULL, backtick names, escapes', () => {
    assert.equal(matches("pk = 'x' AND sk = 1 OR sk = 15"), true);
    assert.equal(matches("pk = 'x' AND (sk = 1 OR sk = 15)"), false);
    assert.equal(matches('NOT sk = 15'), false);
    assert.equal(matches('attribute_exists(name) and attribute_not_exists(missing)'), true);
    assert.equal(matches('active = true AND gone = null'), true);
    assert.equal(matches("`odd name` = 'x'"), true);
    assert.equal(matches("name = 'Zo\\u00eb'"), true);
    assert.equal(matches("missing <> 'a'"), false, 'an absent attribute compares to nothing');
  });

  test('strings compare in UTF-8 byte order, as DynamoDB does', () => {
    // U+FF5E sorts before U+1F600 in UTF-8 bytes, after it in UTF-16 code units.
    const it: RawItem = { pk: { S: '\uff5e' } };
    assert.equal(matches("pk < '\u{1F600}'", it), true);
  });

  test('bad expressions are InvalidInput errors that say where', () => {
    for (const bad of [
      "pk = 'open",
      'pk =',
      "pk = 'a' AND",
      'sk BETWEEN 1 2',
      '(pk = 1',
      'pk ~ 1',
      '',
      "begins_with(pk 'a')",
    ]) {
      assert.throws(() => parseWhere(bad), { code: 'InvalidInput' }, bad);
    }
    assert.throws(() => parseWhere("pk = 'a' sk = 1"), /unexpected "sk" \(at character 10\)/);
  });

  test('numbers: exact order and one spelling per value, beyond double precision', () => {
    assert.equal(compareDecimal('12345678901234567890', '12345678901234567891'), -1);
    assert.equal(compareDecimal('-2', '-10'), 1);
    assert.equal(compareDecimal('0.0', '-0'), 0);
    assert.equal(canonicalNumber('1.50'), canonicalNumber('15e-1'));
    assert.notEqual(canonicalNumber('100'), canonicalNumber('10'));
  });
});

describe('--key', () => {
  const keys = keyAttributes(
    [
      { AttributeName: 'sk', KeyType: 'RANGE' },
      { AttributeName: 'pk', KeyType: 'HASH' },
    ],
    [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
    ],
  );

  test('plain JSON typed by the schema; the same key however its number is spelled', () => {
    assert.deepEqual(
      keys.map((k) => k.name),
      ['pk', 'sk'],
    );
    const a = parsePlainKey('{"pk":"user#1","sk":15}', keys, 'k');
    const b = parsePlainKey('{"sk":"15.0","pk":"user#1"}', keys, 'k');
    assert.deepEqual(a, { pk: { S: 'user#1' }, sk: { N: '15' } });
    assert.equal(canonicalKey(a, keys), canonicalKey(b, keys));
    assert.equal(canonicalKey(a, keys), canonicalKey(item, keys));
  });

  test('a wrong type, a missing or an extra attribute is a coded error', () => {
    assert.throws(() => parsePlainKey('{"pk":1,"sk":1}', keys, '--key #1'), /--key #1: pk must be a non-empty string/);
    assert.throws(() => parsePlainKey('{"pk":"a"}', keys, 'k'), /sk is missing/);
    assert.throws(() => parsePlainKey('{"pk":"a","sk":1,"x":2}', keys, 'k'), /x is not a key attribute/);
    assert.throws(() => parsePlainKey('pk=a', keys, 'k'), { code: 'InvalidInput' });
  });
});

describe('selecting by key without parsing every line', () => {
  const skip = hashKeyPrefilter({ name: 'pk', type: 'S' }, [{ pk: { S: 'wanted' } }])!;
  const line = (text: string): Buffer => Buffer.from(text);

  test('a compact line with another hash key is skipped; the wanted one is not', () => {
    assert.equal(skip(line('{"Item":{"pk":{"S":"other"},"v":{"N":"1"}}}')), true);
    assert.equal(skip(line('{"Item":{"v":{"N":"1"},"pk":{"S":"wanted"}}}')), false);
  });

  test('anything unusual is parsed in full: the name twice, other spacing, an escape, no such name', () => {
    assert.equal(skip(line('{"Item":{"m":{"M":{"pk":{"S":"other"}}},"pk":{"S":"wanted"}}}')), false);
    assert.equal(skip(line('{"Item":{"pk": {"S":"other"}}}')), false);
    assert.equal(skip(line('{"Item":{"pk":{"S":"wan\\u0074ed"}}}')), false);
    assert.equal(skip(line('{"Keys":{"id":{"S":"x"}}}')), false);
  });

  test('numbers by value', () => {
    const n = hashKeyPrefilter({ name: 'id', type: 'N' }, [{ id: { N: '15' } }])!;
    assert.equal(n(line('{"Item":{"id":{"N":"15.0"}}}')), false);
    assert.equal(n(line('{"Item":{"id":{"N":"16"}}}')), true);
  });
});
