import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type Item, itemFromDynamoJson, itemToDynamoJson } from '../source/dynamoJson';
import { skipNested } from '../source/scanBody';

/**
 * Items as DynamoDB JSON lines, `{"Item":{...}}` one per line: the format of DynamoDB's
 * own export, so ImportTable can read Coldkeep backups and Coldkeep can read native exports.
 */

/** One item as one line, with the trailing newline. */
export function itemToLine(item: Item): string {
  return `{"Item":${itemToDynamoJson(item)}}\n`;
}

const ITEM_LINE_START = Buffer.from('{"Item":');

/**
 * The item of a line that is exactly `{"Item":<object>}` (every line of a full backup, Coldkeep's
 * or DynamoDB's), as the DynamoDB JSON text it holds, for a restore to send on without parsing;
 * undefined for any other line (a change record, spaces between tokens), which `lineToChange` reads.
 */
export function lineItemJson(line: Buffer): Buffer | undefined {
  const start = ITEM_LINE_START.length;
  if (line.length <= start + 1 || ITEM_LINE_START.compare(line, 0, start) !== 0 || line[start] !== 0x7b) {
    return undefined;
  }
  const end = skipNested(line, start);
  return end === line.length - 1 && line[end] === 0x7d ? line.subarray(start, end) : undefined;
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
  return itemFromDynamoJson(item as Record<string, Record<string, unknown>>);
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
    v && typeof v === 'object' ? itemFromDynamoJson(v as Record<string, Record<string, unknown>>) : undefined;
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
