import { ColdkeepError } from '../../base/errors/ColdkeepError';

/**
 * `restore --where`: a small filter on an item's top-level attributes, in the spirit of
 * DynamoDB's condition expressions but with the values written in place:
 *
 *   pk = 'user#1'                    = <> < <= > >= on strings (UTF-8 byte order, as DynamoDB) and numbers
 *   begins_with(sk, 'order#2024')    strings
 *   sk BETWEEN 10 AND 20             inclusive, strings or numbers
 *   attribute_exists(x), attribute_not_exists(x)
 *   … AND …, … OR …, NOT …, ( … )
 *
 * Strings are quoted ('…' or "…", backslash escapes as in JSON); numbers are bare; true, false and
 * null match BOOL and NULL attributes. Names are bare (letters, digits, _ . -) or in backticks.
 * A value of another type than the attribute never matches (`pk = 1` does not match pk "1").
 * Written by hand: a few dozen lines do not justify a parser library.
 */

/** A DynamoDB JSON attribute value as parsed from a backup line (N as string, B as base64). */
export type RawValue = Record<string, unknown>;
export type RawItem = Record<string, RawValue>;

type Literal =
  { type: 'S'; value: string } | { type: 'N'; value: string } | { type: 'BOOL'; value: boolean } | { type: 'NULL' };

export type WhereNode =
  | { op: 'and' | 'or'; left: WhereNode; right: WhereNode }
  | { op: 'not'; operand: WhereNode }
  | { op: 'compare'; name: string; comparator: '=' | '<>' | '<' | '<=' | '>' | '>='; value: Literal }
  | { op: 'between'; name: string; low: Literal; high: Literal }
  | { op: 'begins_with'; name: string; prefix: Literal }
  | { op: 'exists' | 'not_exists'; name: string };

type Token =
  | { kind: 'name'; text: string; quoted: boolean; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'number'; text: string; at: number }
  | { kind: 'punct'; text: string; at: number };

function invalid(expr: string, message: string, at?: number): ColdkeepError {
  return new ColdkeepError(
    'InvalidInput',
    `--where "${expr}": ${message}${at !== undefined ? ` (at character ${at + 1})` : ''}.`,
    {
      hint: 'Examples: {setting:where="pk = \'user#1\' AND begins_with(sk, \'order#\')"}, {setting:where="sk BETWEEN 10 AND 20"}.',
    },
  );
}

const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '/': '/' };

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    const two = expr.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '<>') {
      tokens.push({ kind: 'punct', text: two, at });
      i += 2;
    } else if ('=<>(),'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, at });
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < expr.length && expr[j] !== c; j++) {
        if (expr[j] !== '\\') {
          text += expr[j];
          continue;
        }
        const e = expr[++j];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(expr.slice(j + 1, j + 5))) {
          text += String.fromCharCode(parseInt(expr.slice(j + 1, j + 5), 16));
          j += 4;
        } else if (e !== undefined && e in ESCAPES) text += ESCAPES[e];
        else throw invalid(expr, 'a string has a bad escape', j - 1);
      }
      if (j >= expr.length) throw invalid(expr, 'a string is not closed', at);
      tokens.push({ kind: 'string', text, at });
      i = j + 1;
    } else if (c === '`') {
      const end = expr.indexOf('`', i + 1);
      if (end < 0) throw invalid(expr, 'a `name` is not closed', at);
      tokens.push({ kind: 'name', text: expr.slice(i + 1, end), quoted: true, at });
      i = end + 1;
    } else {
      const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(expr.slice(i));
      if (number && (c === '-' || c === '+' || c === '.' || /\d/.test(c))) {
        tokens.push({ kind: 'number', text: number[0], at });
        i += number[0].length;
        continue;
      }
      const name = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(expr.slice(i));
      if (!name) throw invalid(expr, `unexpected "${c}"`, at);
      tokens.push({ kind: 'name', text: name[0], quoted: false, at });
      i += name[0].length;
    }
  }
  return tokens;
}

/** Parses a --where expression; a bad one is an InvalidInput error saying where. */
export function parseWhere(expr: string): WhereNode {
  const tokens = tokenize(expr);
  let k = 0;
  const peek = (): Token | undefined => tokens[k];
  const isWord = (t: Token | undefined, word: string): boolean =>
    t?.kind === 'name' && !t.quoted && t.text.toLowerCase() === word;
  const expectPunct = (text: string): void => {
    const t = tokens[k];
    if (t?.kind !== 'punct' || t.text !== text)
      throw invalid(expr, `expected "${text}"${t ? ` but found "${t.text}"` : ' at the end'}`, t?.at);
    k++;
  };
  const name = (): string => {
    const t = tokens[k];
    if (t?.kind !== 'name' || (!t.quoted && ['and', 'or', 'not', 'between'].includes(t.text.toLowerCase())))
      throw invalid(expr, 'expected an attribute name', t?.at);
    k++;
    return t.text;
  };
  const literal = (): Literal => {
    const t = tokens[k++];
    if (t?.kind === 'string') return { type: 'S', value: t.text };
    if (t?.kind === 'number') return { type: 'N', value: t.text };
    if (isWord(t, 'true') || isWord(t, 'false')) return { type: 'BOOL', value: t!.text.toLowerCase() === 'true' };
    if (isWord(t, 'null')) return { type: 'NULL' };
    throw invalid(expr, "expected a value ('text', a number, true, false or null)", t?.at);
  };
  const primary = (): WhereNode => {
    const t = peek();
    if (t?.kind === 'punct' && t.text === '(') {
      k++;
      const inner = or();
      expectPunct(')');
      return inner;
    }
    if (isWord(t, 'not')) {
      k++;
      return { op: 'not', operand: primary() };
    }
    for (const fn of ['begins_with', 'attribute_exists', 'attribute_not_exists']) {
      if (isWord(t, fn) && tokens[k + 1]?.text === '(') {
        k += 2;
        const attribute = name();
        let node: WhereNode;
        if (fn === 'begins_with') {
          expectPunct(',');
          node = { op: 'begins_with', name: attribute, prefix: literal() };
        } else node = { op: fn === 'attribute_exists' ? 'exists' : 'not_exists', name: attribute };
        expectPunct(')');
        return node;
      }
    }
    const attribute = name();
    if (isWord(peek(), 'between')) {
      k++;
      const low = literal();
      if (!isWord(peek(), 'and')) throw invalid(expr, 'expected AND in BETWEEN … AND …', peek()?.at);
      k++;
      return { op: 'between', name: attribute, low, high: literal() };
    }
    const comparator = peek();
    if (comparator?.kind !== 'punct' || !['=', '<>', '<', '<=', '>', '>='].includes(comparator.text))
      throw invalid(expr, `expected a comparison after ${attribute}`, comparator?.at);
    k++;
    return {
      op: 'compare',
      name: attribute,
      comparator: comparator.text as '=' | '<>' | '<' | '<=' | '>' | '>=',
      value: literal(),
    };
  };
  const and = (): WhereNode => {
    let left = primary();
    while (isWord(peek(), 'and')) {
      k++;
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): WhereNode => {
    let left = and();
    while (isWord(peek(), 'or')) {
      k++;
      left = { op: 'or', left, right: and() };
    }
    return left;
  };
  if (tokens.length === 0) throw invalid(expr, 'the expression is empty');
  const tree = or();
  if (k < tokens.length) throw invalid(expr, `unexpected "${tokens[k]!.text}"`, tokens[k]!.at);
  return tree;
}

/** -1, 0 or 1: a number's order against another, exactly (DynamoDB numbers have up to 38 digits). */
export function compareDecimal(a: string, b: string): number {
  const x = decimal(a);
  const y = decimal(b);
  if (x.sign !== y.sign) return x.sign < y.sign ? -1 : 1;
  if (x.sign === 0) return 0;
  let magnitude: number;
  if (x.exponent !== y.exponent) magnitude = x.exponent < y.exponent ? -1 : 1;
  else {
    const length = Math.max(x.digits.length, y.digits.length);
    const dx = x.digits.padEnd(length, '0');
    const dy = y.digits.padEnd(length, '0');
    magnitude = dx === dy ? 0 : dx < dy ? -1 : 1;
  }
  return magnitude * x.sign;
}

/** A number as sign, significant digits (no leading or trailing zeros) and decimal exponent. */
function decimal(text: string): { sign: -1 | 0 | 1; digits: string; exponent: number } {
  const m = /^\s*([-+])?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return { sign: 0, digits: '', exponent: 0 };
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  let digits = whole + fraction;
  let exponent = whole.length + Number(m[4] ?? 0);
  const leading = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(leading).replace(/0+$/, '');
  exponent -= leading;
  if (digits === '') return { sign: 0, digits: '', exponent: 0 };
  return { sign: m[1] === '-' ? -1 : 1, digits, exponent };
}

/** A number in one spelling per value, so "1.50", "15e-1" and "1.5" are the same key. */
export function canonicalNumber(text: string): string {
  const d = decimal(text);
  return d.sign === 0 ? '0' : `${d.sign < 0 ? '-' : ''}0.${d.digits}e${d.exponent}`;
}

function compareLiteral(value: RawValue | undefined, literal: Literal): number | undefined {
  if (!value) return undefined;
  if (literal.type === 'S' && typeof value.S === 'string')
    return Math.sign(Buffer.compare(Buffer.from(value.S), Buffer.from(literal.value)));
  if (literal.type === 'N' && typeof value.N === 'string') return compareDecimal(value.N, literal.value);
  return undefined;
}

function equalsLiteral(value: RawValue | undefined, literal: Literal): boolean {
  if (!value) return false;
  if (literal.type === 'BOOL') return value.BOOL === literal.value;
  if (literal.type === 'NULL') return value.NULL === true;
  return compareLiteral(value, literal) === 0;
}

/** Whether an item (DynamoDB JSON, as read from a backup line) matches the filter. */
export function matchesWhere(node: WhereNode, item: RawItem): boolean {
  switch (node.op) {
    case 'and':
      return matchesWhere(node.left, item) && matchesWhere(node.right, item);
    case 'or':
      return matchesWhere(node.left, item) || matchesWhere(node.right, item);
    case 'not':
      return !matchesWhere(node.operand, item);
    case 'exists':
      return Object.hasOwn(item, node.name);
    case 'not_exists':
      return !Object.hasOwn(item, node.name);
    case 'begins_with': {
      const value = Object.hasOwn(item, node.name) ? item[node.name] : undefined;
      return node.prefix.type === 'S' && typeof value?.S === 'string' && value.S.startsWith(node.prefix.value);
    }
    case 'between': {
      const value = Object.hasOwn(item, node.name) ? item[node.name] : undefined;
      const low = compareLiteral(value, node.low);
      const high = compareLiteral(value, node.high);
      return low !== undefined && high !== undefined && low >= 0 && high <= 0;
    }
    case 'compare': {
      const value = Object.hasOwn(item, node.name) ? item[node.name] : undefined;
      if (node.comparator === '=') return equalsLiteral(value, node.value);
      if (node.comparator === '<>') return value !== undefined && !equalsLiteral(value, node.value);
      const order = compareLiteral(value, node.value);
      if (order === undefined) return false;
      return node.comparator === '<'
        ? order < 0
        : node.comparator === '<='
          ? order <= 0
          : node.comparator === '>'
            ? order > 0
            : order >= 0;
    }
  }
}
