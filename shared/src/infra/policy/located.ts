import { type Node as JsonNode, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { isMap, isScalar, isSeq, type Node as YamlNode, parseDocument, type ScalarTag, type CollectionTag } from 'yaml';

/**
 * A JSON-like tree that remembers where each value came from (offsets into the source text),
 * so findings can point at the exact characters. Built from JSON (jsonc-parser) or YAML (yaml),
 * with CloudFormation short-form tags (!Sub, !Ref, …) kept as `intrinsic` nodes.
 */
export type LNode =
  | { kind: 'object'; start: number; end: number; entries: LEntry[] }
  | { kind: 'array'; start: number; end: number; items: LNode[] }
  | { kind: 'string'; start: number; end: number; value: string }
  | { kind: 'number'; start: number; end: number; value: number }
  | { kind: 'boolean'; start: number; end: number; value: boolean }
  | { kind: 'null'; start: number; end: number }
  /** A CloudFormation intrinsic function: `!Sub x` or `{"Fn::Sub": x}`; `fn` without "Fn::" ("Sub", "Ref", "GetAtt"). */
  | { kind: 'intrinsic'; start: number; end: number; fn: string; arg: LNode };

export interface LEntry {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: LNode;
}

export interface SyntaxProblem {
  message: string;
  start: number;
  end: number;
}

export interface ParsedText {
  root?: LNode;
  problems: SyntaxProblem[];
}

const PARSE_HINTS: Record<string, string> = {
  CommaExpected: 'a comma is missing (for example between two statements: "}, {")',
  PropertyNameExpected: 'a property name in double quotes is expected here',
  ValueExpected: 'a value is expected here',
  ColonExpected: 'a colon is expected after the property name',
  CloseBraceExpected: 'a closing brace "}" is missing',
  CloseBracketExpected: 'a closing bracket "]" is missing',
  EndOfFileExpected: 'there is more text after the end of the document',
  InvalidCommentToken: 'comments are not allowed in policies',
  InvalidSymbol: 'this is not valid JSON',
  UnexpectedEndOfComment: 'unexpected end of comment',
  UnexpectedEndOfString: 'a string is not closed with a double quote',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'an invalid \\u escape',
  InvalidEscapeCharacter: 'an invalid escape character',
  InvalidCharacter: 'an invalid character in a string',
};

/** Parses strict JSON (no comments, no trailing commas, as IAM accepts it). */
export function parseJsonLocated(text: string): ParsedText {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const problems = errors.map((e) => {
    const code = printParseErrorCode(e.error);
    return { message: `JSON syntax error: ${PARSE_HINTS[code] ?? code}.`, start: e.offset, end: e.offset + e.length };
  });
  return { ...(tree ? { root: fromJsonNode(tree) } : {}), problems };
}

function fromJsonNode(node: JsonNode): LNode {
  const start = node.offset;
  const end = node.offset + node.length;
  switch (node.type) {
    case 'object':
      return {
        kind: 'object',
        start,
        end,
        entries: (node.children ?? [])
          .filter((p) => p.children?.[0] && p.children[1])
          .map((p) => {
            const [k, v] = p.children as [JsonNode, JsonNode];
            return { key: String(k.value), keyStart: k.offset, keyEnd: k.offset + k.length, value: fromJsonNode(v) };
          }),
      };
    case 'array':
      return { kind: 'array', start, end, items: (node.children ?? []).map(fromJsonNode) };
    case 'string':
      return { kind: 'string', start, end, value: String(node.value) };
    case 'number':
      return { kind: 'number', start, end, value: Number(node.value) };
    case 'boolean':
      return { kind: 'boolean', start, end, value: Boolean(node.value) };
    default:
      return { kind: 'null', start, end };
  }
}

/** Every CloudFormation intrinsic function with a YAML short form. */
export const CFN_FUNCTIONS = [
  'Base64',
  'Cidr',
  'Condition',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'Ref',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'ToJsonString',
  'Length',
] as const;

/** Short-form tags are kept as they are; `toLocated` turns them into intrinsic nodes. */
const CFN_TAGS: (ScalarTag | CollectionTag)[] = CFN_FUNCTIONS.flatMap((fn) => [
  { tag: `!${fn}`, resolve: (value: string) => value },
  { tag: `!${fn}`, collection: 'seq' as const, resolve: (value: unknown) => value as never },
  { tag: `!${fn}`, collection: 'map' as const, resolve: (value: unknown) => value as never },
]) as (ScalarTag | CollectionTag)[];

/** Parses YAML (CloudFormation templates included: short-form tags, duplicate keys kept for the linter). */
export function parseYamlLocated(text: string): ParsedText {
  const doc = parseDocument(text, { customTags: CFN_TAGS, uniqueKeys: false, prettyErrors: false, strict: false });
  const problems = doc.errors.map((e) => ({
    message: `YAML syntax error: ${e.message.split('\n')[0]}`,
    start: e.pos[0],
    end: Math.max(e.pos[1], e.pos[0] + 1),
  }));
  return { ...(doc.contents ? { root: fromYamlNode(doc.contents as YamlNode) } : {}), problems };
}

function rangeOf(node: YamlNode): [number, number] {
  const range = node.range ?? [0, 0, 0];
  return [range[0], range[1]];
}

function fromYamlNode(node: YamlNode): LNode {
  const [start, end] = rangeOf(node);
  let plain: LNode;
  if (isMap(node)) {
    plain = {
      kind: 'object',
      start,
      end,
      entries: node.items.map((pair) => {
        const key = pair.key as YamlNode | null;
        const [keyStart, keyEnd] = key ? rangeOf(key) : [start, start];
        const keyText = key && isScalar(key) ? String(key.value) : String(key ?? '');
        const value: LNode = pair.value
          ? fromYamlNode(pair.value as YamlNode)
          : { kind: 'null', start: keyEnd, end: keyEnd };
        return { key: keyText, keyStart, keyEnd, value };
      }),
    };
  } else if (isSeq(node)) {
    plain = { kind: 'array', start, end, items: node.items.map((i) => fromYamlNode(i as YamlNode)) };
  } else if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string') plain = { kind: 'string', start, end, value: v };
    else if (typeof v === 'number') plain = { kind: 'number', start, end, value: v };
    else if (typeof v === 'boolean') plain = { kind: 'boolean', start, end, value: v };
    else if (v === null || v === undefined) plain = { kind: 'null', start, end };
    else plain = { kind: 'string', start, end, value: String(v) };
  } else {
    plain = { kind: 'null', start, end };
  }
  const tag = (node as { tag?: string }).tag;
  if (tag?.startsWith('!') && !tag.startsWith('!!'))
    return { kind: 'intrinsic', start, end, fn: tag.slice(1), arg: plain };
  return plain;
}

/** Turns CloudFormation's JSON form (`{"Ref": "X"}`, `{"Fn::Sub": …}`) into intrinsic nodes, everywhere below `node`. */
export function withIntrinsics(node: LNode): LNode {
  switch (node.kind) {
    case 'object': {
      const only = node.entries.length === 1 ? node.entries[0]! : undefined;
      if (only && (only.key === 'Ref' || only.key === 'Condition' || only.key.startsWith('Fn::'))) {
        return {
          kind: 'intrinsic',
          start: node.start,
          end: node.end,
          fn: only.key.replace(/^Fn::/, ''),
          arg: withIntrinsics(only.value),
        };
      }
      return { ...node, entries: node.entries.map((e) => ({ ...e, value: withIntrinsics(e.value) })) };
    }
    case 'array':
      return { ...node, items: node.items.map(withIntrinsics) };
    case 'intrinsic':
      return { ...node, arg: withIntrinsics(node.arg) };
    default:
      return node;
  }
}

export function entry(node: LNode | undefined, key: string): LEntry | undefined {
  return node?.kind === 'object' ? node.entries.find((e) => e.key === key) : undefined;
}

export function member(node: LNode | undefined, key: string): LNode | undefined {
  return entry(node, key)?.value;
}

/** The value as plain data (intrinsics as their JSON form), for output and for the simulator. */
export function toPlain(node: LNode): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
    case 'array':
      return node.items.map(toPlain);
    case 'null':
      return null;
    case 'intrinsic':
      return { [node.fn === 'Ref' || node.fn === 'Condition' ? node.fn : `Fn::${node.fn}`]: toPlain(node.arg) };
    default:
      return node.value;
  }
}

/** Offsets to 1-based lines and columns. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}
