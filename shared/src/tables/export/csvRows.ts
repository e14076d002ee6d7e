import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from '../source/dynamoJson';
import { base64, valueToJson } from './plainItem';

/**
 * CSV as RFC 4180 has it (CRLF line ends, quotes doubled, a field quoted when it holds a
 * comma, quote or line break), which spreadsheets open as they are. One column per
 * attribute name: the key attributes first, then the rest in name order. Scalars are
 * written as they are; lists, maps and sets as JSON in one cell; a missing attribute is empty.
 */

export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function cellText(value: AttributeValue | undefined): string {
  if (value === undefined || value.NULL !== undefined) return '';
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return value.N;
  if (value.BOOL !== undefined) return value.BOOL ? 'true' : 'false';
  if (value.B !== undefined) return base64(value.B);
  return valueToJson(value);
}

export function csvRow(cells: string[]): string {
  return cells.map(csvField).join(',') + '\r\n';
}

export function itemToCsvRow(item: Item, columns: string[]): string {
  return csvRow(columns.map((c) => cellText(item[c])));
}

/** Columns for the attribute names seen: key attributes first (hash, then range), then by name. */
export function csvColumns(keyAttributes: string[], seen: Iterable<string>): string[] {
  const rest = [...new Set(seen)].filter((name) => !keyAttributes.includes(name)).sort();
  return [...keyAttributes, ...rest];
}
