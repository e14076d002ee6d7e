import { skipNested } from '../source/scanBody';
import { canonicalKey, type KeyAttribute } from './itemKeys';
import { canonicalNumber, type RawItem } from './whereFilter';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const ITEM_START = Buffer.from('{"Item":{');

/**
 * Tells, from a backup line's bytes and without parsing it, that the line is an item whose hash
 * key is none of the wanted ones, so that an item restore by key parses only the lines that may
 * match (1,000 keys out of a million lines). It answers "skip" only when the full parse of the
 * line (`JSON.parse`, as the selection does) would give an item with the table's key whose hash
 * key is not wanted; anything else ("parse it") goes to the full parse, which decides.
 *
 * It walks the Item object's members in order, from `{"Item":{`, skipping each value that is not
 * a key attribute's as a whole (strings and nesting followed, so a key's name or value inside
 * another attribute is never taken for the key), until it has read every key attribute, in the
 * compact form Coldkeep and DynamoDB write: `"pk":{"S":"…"}`. It gives up (parse it) on anything
 * else: spaces between tokens, a backslash in a member name before the keys (`"\u0070k"` is `pk`
 * too) or in a key's value, a key of another type, a line that ends first. Values are compared as
 * the full parse reads them: strings by their UTF-8 text, numbers by value ("1" is "1.0").
 *
 * It relies on what every DynamoDB JSON line holds: an item never names an attribute twice, and
 * a line names its Item once (JSON.parse would keep the last of two).
 */
export class HashKeyShortcut {
  /** Each key attribute's name (as the bytes between its quotes) and value start `{"S":"`. */
  private readonly keys: { name: Buffer; tag: Buffer }[];
  private readonly hashType: KeyAttribute['type'];
  /** Wanted hash values: for S, their UTF-8 bytes by a 32-bit hash; their canonical text. */
  private readonly wantedBytes = new Map<number, Buffer[]>();
  private readonly wantedText = new Set<string>();
  /** Where the hash key's value was read in the line being checked. */
  private valueFrom = 0;
  private valueTo = 0;

  /** undefined when no shortcut applies (a binary hash key: base64 has more than one spelling). */
  static create(keys: readonly KeyAttribute[], wanted: Iterable<RawItem>): HashKeyShortcut | undefined {
    if (keys.length === 0 || keys[0]!.type === 'B') return undefined;
    return new HashKeyShortcut(keys, wanted);
  }

  private constructor(keys: readonly KeyAttribute[], wanted: Iterable<RawItem>) {
    const hash = keys[0]!;
    this.hashType = hash.type;
    // A name with a quote, a backslash or a control character is written escaped: never matched.
    this.keys = keys.map((k) => ({
      name: Buffer.from(JSON.stringify(k.name).slice(1, -1)),
      tag: Buffer.from(`{"${k.type}":"`),
    }));
    for (const key of wanted) {
      const text = canonicalKey(key, [hash]);
      if (text === undefined) continue;
      this.wantedText.add(text);
      if (hash.type === 'S') {
        const bytes = Buffer.from(text, 'utf8');
        const h = fnv1a(bytes, 0, bytes.length);
        const list = this.wantedBytes.get(h);
        if (list) list.push(bytes);
        else this.wantedBytes.set(h, [bytes]);
      }
    }
  }

  /** True: the line `buf[from, to)` is certainly not a wanted item; false: parse it. */
  skip(buf: Buffer, from: number, to: number): boolean {
    if (to - from < ITEM_START.length + 2) return false;
    for (let k = 0; k < ITEM_START.length; k++) if (buf[from + k] !== ITEM_START[k]) return false;
    return this.readKeys(buf, from + ITEM_START.length, to) && !this.wanted(buf, this.valueFrom, this.valueTo);
  }

  /** Walks the Item's members from `i` until every key attribute is read; false: give up. */
  private readKeys(buf: Buffer, i: number, to: number): boolean {
    let missing = this.keys.length;
    let seen = 0; // a bit per key attribute read
    for (;;) {
      // A member name, with no escape in it.
      if (buf[i] !== QUOTE) return false;
      const nameFrom = i + 1;
      let nameTo = nameFrom;
      while (nameTo < to && buf[nameTo] !== QUOTE) {
        if (buf[nameTo] === BACKSLASH) return false;
        nameTo++;
      }
      if (nameTo + 1 >= to || buf[nameTo + 1] !== COLON) return false;
      i = nameTo + 2;
      const k = this.keyIndex(buf, nameFrom, nameTo);
      if (k >= 0) {
        if (seen & (1 << k)) return false;
        seen |= 1 << k;
        const { tag } = this.keys[k]!;
        if (i + tag.length >= to) return false;
        for (let t = 0; t < tag.length; t++) if (buf[i + t] !== tag[t]) return false;
        const valueFrom = i + tag.length;
        let valueTo = valueFrom;
        while (valueTo < to && buf[valueTo] !== QUOTE) {
          if (buf[valueTo] === BACKSLASH) return false;
          valueTo++;
        }
        if (valueTo + 1 >= to || buf[valueTo + 1] !== CLOSE_BRACE) return false;
        if (k === 0) {
          this.valueFrom = valueFrom;
          this.valueTo = valueTo;
        }
        if (--missing === 0) return true;
        i = valueTo + 2;
      } else {
        // Another attribute: its value (an object in DynamoDB JSON) skipped whole.
        if (buf[i] !== OPEN_BRACE) return false;
        i = skipNested(buf, i);
        if (i < 0 || i >= to) return false;
      }
      if (buf[i] !== COMMA) return false;
      i++;
    }
  }

  private keyIndex(buf: Buffer, from: number, to: number): number {
    for (let k = 0; k < this.keys.length; k++) {
      const { name } = this.keys[k]!;
      if (name.length !== to - from) continue;
      let same = true;
      for (let j = 0; j < name.length && same; j++) same = buf[from + j] === name[j];
      if (same) return k;
    }
    return -1;
  }

  private wanted(buf: Buffer, from: number, to: number): boolean {
    // Numbers by value, as decoded by the full parse (UTF-8).
    if (this.hashType === 'N') return this.wantedText.has(canonicalNumber(buf.toString('utf8', from, to)));
    let ascii = true;
    for (let k = from; k < to && ascii; k++) ascii = buf[k]! < 0x80;
    // Not ASCII: compare as the full parse does, decoded (invalid UTF-8 becomes U+FFFD there).
    if (!ascii) return this.wantedText.has(buf.toString('utf8', from, to));
    const candidates = this.wantedBytes.get(fnv1a(buf, from, to));
    if (!candidates) return false;
    return candidates.some((c) => c.length === to - from && buf.compare(c, 0, c.length, from, to) === 0);
  }
}

/** FNV-1a over bytes: a cheap 32-bit hash to look a value up without making a string of it. */
function fnv1a(buf: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let k = from; k < to; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
  return h >>> 0;
}
