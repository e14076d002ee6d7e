import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from '../source/dynamoJson';

/**
 * Items as plain JSON, the way people read them ({"name": "Ada", "age": 36}) rather than
 * DynamoDB JSON ({"name": {"S": "Ada"}}). Numbers keep DynamoDB's exact digits (up to 38,
 * beyond what a JavaScript number holds); binary is base64; sets become arrays. The backup
 * keeps full type fidelity; an export is for opening in other tools.
 */

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A DynamoDB number as JSON number text, exactly as stored; a string if JSON could not hold it as written. */
export function numberText(n: string): string {
  return JSON_NUMBER.test(n) ? n : JSON.stringify(n);
}

/** One attribute value as JSON text. */
export function valueToJson(value: AttributeValue): string {
  if (value.S !== undefined) return JSON.stringify(value.S);
  if (value.N !== undefined) return numberText(value.N);
  if (value.BOOL !== undefined) return value.BOOL ? 'true' : 'false';
  if (value.NULL !== undefined) return 'null';
  if (value.B !== undefined) return JSON.stringify(base64(value.B));
  if (value.SS !== undefined) return `[${value.SS.map((s) => JSON.stringify(s)).join(',')}]`;
  if (value.NS !== undefined) return `[${value.NS.map(numberText).join(',')}]`;
  if (value.BS !== undefined) return `[${value.BS.map((b) => JSON.stringify(base64(b))).join(',')}]`;
  if (value.L !== undefined) return `[${value.L.map(valueToJson).join(',')}]`;
  if (value.M !== undefined) return itemToJson(value.M);
  return 'null';
}

/** One item as a JSON object, attributes in the item's order. */
export function itemToJson(item: Item): string {
  const parts: string[] = [];
  for (const key of Object.keys(item)) parts.push(`${JSON.stringify(key)}:${valueToJson(item[key]!)}`);
  return `{${parts.join(',')}}`;
}
