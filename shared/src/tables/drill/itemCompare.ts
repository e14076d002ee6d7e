import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import type { Item } from '../source/dynamoJson';
import type { KeyAttribute } from '../restore/itemKeys';
import { canonicalNumber } from '../restore/whereFilter';

// What a drill compares: each item reduced to its key and a digest of its content, both in a
// canonical form (numbers by value, sets in any order, map keys sorted), so that the same item
// read back from DynamoDB and read from a backup file always give the same pair.

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

function canonical(value: AttributeValue): unknown {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: canonicalNumber(value.N) };
  if (value.B !== undefined) return { B: b64(value.B) };
  if (value.SS !== undefined) return { SS: [...value.SS].sort() };
  if (value.NS !== undefined) return { NS: value.NS.map(canonicalNumber).sort() };
  if (value.BS !== undefined) return { BS: value.BS.map(b64).sort() };
  if (value.M !== undefined) return { M: canonicalMap(value.M) };
  if (value.L !== undefined) return { L: value.L.map(canonical) };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: true };
  return value;
}

function canonicalMap(item: Record<string, AttributeValue>): [string, unknown][] {
  return Object.keys(item)
    .sort()
    .map((k) => [k, canonical(item[k]!)]);
}

/** A digest of an item's content that does not depend on attribute order or number spelling. */
export function itemDigest(item: Item): string {
  return createHash('sha256')
    .update(JSON.stringify(canonicalMap(item)))
    .digest('base64')
    .slice(0, 22);
}

/** The item's key as one string (numbers by value, binaries as base64); undefined without its key. */
export function itemKey(item: Item, keys: readonly KeyAttribute[]): string | undefined {
  const parts: string[] = [];
  for (const k of keys) {
    const v = Object.hasOwn(item, k.name) ? item[k.name] : undefined;
    const text =
      k.type === 'S'
        ? v?.S
        : k.type === 'N'
          ? v?.N === undefined
            ? undefined
            : canonicalNumber(v.N)
          : v?.B && b64(v.B);
    if (text === undefined) return undefined;
    parts.push(text);
  }
  return parts.join('\u0000');
}

/** The key as a user reads it in a report: plain JSON, e.g. {"pk":"c7","sk":3}. */
export function keyLabel(item: Item, keys: readonly KeyAttribute[]): string {
  return JSON.stringify(
    Object.fromEntries(
      keys.map((k) => {
        const v = item[k.name];
        if (k.type === 'N' && v?.N !== undefined) return [k.name, String(Number(v.N)) === v.N ? Number(v.N) : v.N];
        if (k.type === 'B' && v?.B) return [k.name, b64(v.B)];
        return [k.name, v?.S];
      }),
    ),
  );
}
