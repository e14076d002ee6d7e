import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** One DynamoDB item, as the SDK's low-level client reads and writes it. */
export type Item = Record<string, AttributeValue>;

/**
 * An item as DynamoDB JSON text and back: the wire format of DynamoDB's API and of its exports.
 * The SDK hands binary values (B, BS) over as bytes; in the text they are base64.
 */

/**
 * Assigns even a key named "__proto__" as an own attribute (plain assignment would set the
 * prototype). Only that key takes the slow path: defineProperty on every attribute was 6% of a
 * restore's CPU.
 */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

// Copies only the parts of an item that hold binary values; most items pass through as they are.
function encodeValue(value: AttributeValue): unknown {
  if (value.B !== undefined) return { B: b64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(b64) };
  if (value.M !== undefined) {
    const m = encodeMap(value.M);
    return m === value.M ? value : { M: m };
  }
  if (value.L !== undefined) {
    let changed = false;
    const l = value.L.map((v) => {
      const e = encodeValue(v);
      if (e !== v) changed = true;
      return e;
    });
    return changed ? { L: l } : value;
  }
  return value;
}

function encodeMap(map: Record<string, AttributeValue>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in map) {
    const v = map[key]!;
    const e = encodeValue(v);
    if (e !== v) {
      out ??= { ...map };
      setOwn(out, key, e);
    }
  }
  return out ?? map;
}

/** An item as DynamoDB JSON text, on one line. */
export function itemToDynamoJson(item: Item): string {
  return JSON.stringify(encodeMap(item));
}

function decodeValue(value: Record<string, unknown>): AttributeValue {
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { BS: (value.BS as string[]).map((s) => Buffer.from(s, 'base64')) };
  if (value.M && typeof value.M === 'object')
    return { M: itemFromDynamoJson(value.M as Record<string, Record<string, unknown>>) };
  if (Array.isArray(value.L)) return { L: (value.L as Record<string, unknown>[]).map(decodeValue) };
  return value as unknown as AttributeValue;
}

/** An item from parsed DynamoDB JSON (binary values from base64 to bytes). */
export function itemFromDynamoJson(map: Record<string, Record<string, unknown>>): Item {
  const out: Item = {};
  for (const key in map) setOwn(out, key, decodeValue(map[key]!));
  return out;
}
