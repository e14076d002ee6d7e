import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ColdkeepError } from '../errors';
import type { Item } from '../tables';

/**
 * Items as DynamoDB JSON lines, `{"Item":{...}}` one per line: the format of DynamoDB's
 * own export, so ImportTable can read Coldkeep backups and Coldkeep can read native exports.
 * The SDK hands binary values (B, BS) over as bytes; on the wire they are base64.
 */

/** Assigns even a key named "__proto__" as an own attribute (plain assignment would set the prototype). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
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

/** One item as one line, with the trailing newline. */
export function itemToLine(item: Item): string {
  return `{"Item":${JSON.stringify(encodeMap(item))}}\n`;
}

function decodeValue(value: Record<string, unknown>): AttributeValue {
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { BS: (value.BS as string[]).map((s) => Buffer.from(s, 'base64')) };
  if (value.M && typeof value.M === 'object')
    return { M: decodeMap(value.M as Record<string, Record<string, unknown>>) };
  if (Array.isArray(value.L)) return { L: (value.L as Record<string, unknown>[]).map(decodeValue) };
  return value as unknown as AttributeValue;
}

function decodeMap(map: Record<string, Record<string, unknown>>): Item {
  const out: Item = {};
  for (const key in map) setOwn(out, key, decodeValue(map[key]!));
  return out;
}

/** Parses one line back into an item; `where` names the file and line for the error. */
export function lineToItem(line: string, where: string): Item {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new ColdkeepError('ManifestInvalid', `Line ${where} is not valid JSON.`, {
      hint: 'The data file is damaged; its checksum should have caught this, so please report it.',
      cause: err,
    });
  }
  const item = (parsed as { Item?: unknown }).Item;
  if (!item || typeof item !== 'object') {
    throw new ColdkeepError('ManifestInvalid', `Line ${where} has no "Item" object.`, {
      hint: 'Only DynamoDB JSON export files ({"Item": {...}} per line) can be restored.',
    });
  }
  return decodeMap(item as Record<string, Record<string, unknown>>);
}

/**
 * One line of a data file as a change to apply. A full backup's `{"Item":…}` is a put; an
 * incremental export's change record puts its NewImage, or deletes its Keys when there is
 * none (the item was deleted in the window). `existedBefore` (the record has an OldImage,
 * NEW_AND_OLD_IMAGES only) lets a chain restore know the exact count it must end with.
 */
export type ChangeRecord =
  { type: 'put'; item: Item; existedBefore?: boolean } | { type: 'delete'; key: Item; existedBefore: boolean };

export function lineToChange(line: string, where: string): ChangeRecord {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch (err) {
    throw new ColdkeepError('ManifestInvalid', `Line ${where} is not valid JSON.`, {
      hint: 'The data file is damaged; its checksum should have caught this, so please report it.',
      cause: err,
    });
  }
  const asMap = (v: unknown): Item | undefined =>
    v && typeof v === 'object' ? decodeMap(v as Record<string, Record<string, unknown>>) : undefined;
  const item = asMap(parsed.Item);
  if (item) return { type: 'put', item };
  const keys = asMap(parsed.Keys);
  if (!keys) {
    throw new ColdkeepError('ManifestInvalid', `Line ${where} has neither "Item" nor "Keys".`, {
      hint: 'Only DynamoDB JSON exports (full: {"Item":…}; incremental: {"Keys":…,"NewImage":…}) can be restored.',
    });
  }
  // Meaningful only for a NEW_AND_OLD_IMAGES export; the caller knows the view.
  const existedBefore = parsed.OldImage != null;
  const newImage = asMap(parsed.NewImage);
  return newImage ? { type: 'put', item: newImage, existedBefore } : { type: 'delete', key: keys, existedBefore };
}
