/**
 * Splits a Scan response body into its items, as the JSON text they arrived in, and the rest.
 *
 * DynamoDB's wire format for an item is DynamoDB JSON, the very text a backup line holds
 * (`{"Item":<that text>}`). Letting the SDK parse each page into AttributeValue objects and then
 * printing them again was most of a backup's CPU; cutting the items out of the body as bytes
 * is a walk over them with no objects made.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

const ITEMS_KEY = Buffer.from('"Items"');

export interface SplitScanBody {
  /** Each item's DynamoDB JSON, on one line (views into the body where it already was). */
  items: Buffer[];
  /** The body without its `Items` member, for the SDK to read the page's other fields from. */
  rest: Buffer;
}

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === LINE_FEED || c === CARRIAGE_RETURN || c === 0x09;
}

function skipSpace(b: Buffer, i: number): number {
  while (isSpace(b[i])) i++;
  return i;
}

/** The index after the string opening at `i`, or -1 when it does not end. */
function skipString(b: Buffer, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    const c = b[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/** The index after the JSON object or array opening at `i`, or -1 when it does not close. */
export function skipNested(b: Buffer, i: number): number {
  let depth = 0;
  for (let j = i; j < b.length; j++) {
    const c = b[j];
    if (c === QUOTE) {
      j = skipString(b, j) - 1;
      if (j < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** The index after the JSON value starting at `i` (no leading space), or -1 when it is cut short. */
function skipValue(b: Buffer, i: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return skipNested(b, i);
  // A number, true, false or null: runs to the next delimiter.
  let j = i;
  while (j < b.length && b[j] !== COMMA && b[j] !== CLOSE_BRACE && b[j] !== CLOSE_BRACKET && !isSpace(b[j])) j++;
  return j > i ? j : -1;
}

/** An item's text on one line: JSON may put line breaks between tokens, a line of a backup may not. */
function oneLine(item: Buffer): Buffer {
  return item.includes(LINE_FEED) || item.includes(CARRIAGE_RETURN)
    ? Buffer.from(JSON.stringify(JSON.parse(item.toString('utf8'))))
    : item;
}

/**
 * The items of a Scan response body and the body without them; undefined when the body is not
 * a JSON object of the expected shape (the SDK then reads it, and reports what is wrong).
 */
export function splitScanBody(body: Buffer): SplitScanBody | undefined {
  const items: Buffer[] = [];
  const members: Buffer[] = [];
  let i = skipSpace(body, 0);
  if (body[i] !== OPEN_BRACE) return undefined;
  i = skipSpace(body, i + 1);
  if (body[i] === CLOSE_BRACE) return { items, rest: body };
  for (;;) {
    const keyStart = i;
    if (body[i] !== QUOTE) return undefined;
    const keyEnd = skipString(body, i);
    if (keyEnd < 0) return undefined;
    i = skipSpace(body, keyEnd);
    if (body[i] !== COLON) return undefined;
    i = skipSpace(body, i + 1);
    if (body.subarray(keyStart, keyEnd).equals(ITEMS_KEY)) {
      if (body[i] !== OPEN_BRACKET) return undefined;
      i = skipSpace(body, i + 1);
      while (body[i] !== CLOSE_BRACKET) {
        if (body[i] !== OPEN_BRACE) return undefined;
        const end = skipNested(body, i);
        if (end < 0) return undefined;
        items.push(oneLine(body.subarray(i, end)));
        i = skipSpace(body, end);
        if (body[i] === COMMA) i = skipSpace(body, i + 1);
        else if (body[i] !== CLOSE_BRACKET) return undefined;
      }
      i += 1;
    } else {
      const end = skipValue(body, i);
      if (end < 0) return undefined;
      members.push(body.subarray(keyStart, end));
      i = end;
    }
    i = skipSpace(body, i);
    if (body[i] === CLOSE_BRACE) break;
    if (body[i] !== COMMA) return undefined;
    i = skipSpace(body, i + 1);
  }
  if (skipSpace(body, i + 1) !== body.length) return undefined;
  const rest = Buffer.concat([Buffer.from('{'), ...interleave(members, Buffer.from(',')), Buffer.from('}')]);
  return { items, rest };
}

function interleave(parts: Buffer[], separator: Buffer): Buffer[] {
  return parts.flatMap((part, k) => (k === 0 ? [part] : [separator, part]));
}
