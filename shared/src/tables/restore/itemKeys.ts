import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { canonicalNumber, type RawItem, type RawValue } from './whereFilter';

/** A key attribute of a table: its name and scalar type, hash key first. */
export interface KeyAttribute {
  name: string;
  type: 'S' | 'N' | 'B';
}

/** The key attributes of a table, hash key first, from its KeySchema and AttributeDefinitions. */
export function keyAttributes(
  keySchema: readonly { AttributeName?: string; KeyType?: string }[],
  definitions: readonly { AttributeName?: string; AttributeType?: string }[],
): KeyAttribute[] {
  const ordered = [...keySchema].sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0));
  return ordered.map((k) => {
    const type = definitions.find((d) => d.AttributeName === k.AttributeName)?.AttributeType;
    if (type !== 'S' && type !== 'N' && type !== 'B') {
      throw new ColdkeepError(
        'Unexpected',
        `The key attribute ${k.AttributeName} has no scalar type in the table's schema.`,
        {
          hint: 'DescribeTable should give every key attribute a type S, N or B; please report this.',
        },
      );
    }
    return { name: k.AttributeName!, type };
  });
}

function valueText(value: RawValue | undefined, type: KeyAttribute['type']): string | undefined {
  const v = value?.[type];
  if (typeof v !== 'string') return undefined;
  // Numbers compare by value ("1.50" is 1.5); binaries by their bytes (base64 of one spelling).
  if (type === 'N') return canonicalNumber(v);
  if (type === 'B') return Buffer.from(v, 'base64').toString('base64');
  return v;
}

/** One string per key value, to find an item's key among the ones asked for; undefined without its key. */
export function canonicalKey(item: RawItem, keys: readonly KeyAttribute[]): string | undefined {
  let out = '';
  for (const k of keys) {
    const text = valueText(Object.hasOwn(item, k.name) ? item[k.name] : undefined, k.type);
    if (text === undefined) return undefined;
    out += (out ? '\u0000' : '') + text;
  }
  return out;
}

/** The key of an item (DynamoDB JSON), e.g. for a conditional write or to name it in a report. */
export function keyOf(item: RawItem, keys: readonly KeyAttribute[]): RawItem {
  return Object.fromEntries(keys.map((k) => [k.name, item[k.name]!]));
}

/** A key as a user writes it back: plain JSON, e.g. {"pk":"a","sk":1}. */
export function keyText(item: RawItem, keys: readonly KeyAttribute[]): string {
  return JSON.stringify(
    Object.fromEntries(
      keys.map((k) => {
        const v = item[k.name]?.[k.type] as string;
        return [k.name, k.type === 'N' && String(Number(v)) === v ? Number(v) : v];
      }),
    ),
  );
}

/**
 * A key given on the command line (--key) or as a line of --keys: plain JSON of the key
 * attributes, typed by the table's schema: a string for S, a number (or a string of digits, for
 * numbers beyond JavaScript's precision) for N, base64 text for B. `{"pk":"a","sk":1}`.
 */
export function parsePlainKey(text: string, keys: readonly KeyAttribute[], where: string): RawItem {
  const example = `{${keys.map((k) => `"${k.name}":${k.type === 'N' ? '1' : '"…"'}`).join(',')}}`;
  const bad = (message: string): ColdkeepError =>
    new ColdkeepError('InvalidInput', `${where}: ${message}.`, {
      hint: `A key is plain JSON of the table's key attributes, e.g. ${example} (a base64 string for a binary key).`,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad(`${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)} is not JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('a key is a JSON object');
  const given = parsed as Record<string, unknown>;
  const extra = Object.keys(given).filter((name) => !keys.some((k) => k.name === name));
  if (extra.length)
    throw bad(`${extra.join(', ')} ${extra.length > 1 ? 'are not key attributes' : 'is not a key attribute'}`);
  const key: RawItem = {};
  for (const k of keys) {
    const v = given[k.name];
    if (v === undefined) throw bad(`the key attribute ${k.name} is missing`);
    if (k.type === 'S' && typeof v === 'string' && v !== '') key[k.name] = { S: v };
    else if (k.type === 'N' && typeof v === 'number' && Number.isFinite(v)) key[k.name] = { N: String(v) };
    else if (k.type === 'N' && typeof v === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v))
      key[k.name] = { N: v };
    else if (k.type === 'B' && typeof v === 'string' && v !== '' && /^[A-Za-z0-9+/]+={0,2}$/.test(v))
      key[k.name] = { B: v };
    else
      throw bad(
        `${k.name} must be ${k.type === 'S' ? 'a non-empty string' : k.type === 'N' ? 'a number' : 'base64 text'}`,
      );
  }
  return key;
}

/** The keys of a --keys file: one plain JSON key per line; blank lines are skipped. */
export function parseKeysFile(text: string, keys: readonly KeyAttribute[], file: string): RawItem[] {
  const out: RawItem[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim()) out.push(parsePlainKey(line, keys, `${file}:${i + 1}`));
  });
  return out;
}
