import { UNKNOWN_NAME } from './arn';
import type { LNode } from './located';

/**
 * A template's findings quote values as CloudFormation would create them, but what is known only
 * at deployment (a resource's name, a parameter without default) is unknown there. Such parts are
 * quoted as the template writes them — `${BucketName}`, `${Bucket.Arn}` — so that a message reads
 * like the line it points at. This pairs each unknown part of a resolved value with its text.
 */

/** One piece of a value as written: literal text, or a reference such as `${BucketName}`. */
type Part = { lit: string } | { ref: string };

/** The value's pieces, for the forms that name references: Ref, GetAtt, Sub and Join of those. */
function partsOf(node: LNode): Part[] | undefined {
  if (node.kind === 'string') return [{ lit: node.value }];
  if (node.kind !== 'intrinsic') return undefined;
  const arg = node.arg;
  if (node.fn === 'Ref' && arg.kind === 'string') return [{ ref: `\${${arg.value}}` }];
  if (node.fn === 'GetAtt') {
    const target =
      arg.kind === 'string'
        ? arg.value
        : arg.kind === 'array' && arg.items.every((i) => i.kind === 'string')
          ? arg.items.map((i) => (i as { value: string }).value).join('.')
          : undefined;
    return target ? [{ ref: `\${${target}}` }] : undefined;
  }
  if (node.fn === 'Sub') {
    const source = arg.kind === 'array' ? arg.items[0] : arg;
    // Variables of Sub's map form are values of their own: quoted by name they would mislead.
    if (source?.kind !== 'string' || (arg.kind === 'array' && arg.items.length > 1)) return undefined;
    return source.value
      .split(/(\$\{[^}!][^}]*\})/)
      .map((piece) => (/^\$\{/.test(piece) ? { ref: piece } : { lit: piece }));
  }
  if (node.fn === 'Join' && arg.kind === 'array' && arg.items[0]?.kind === 'string' && arg.items[1]?.kind === 'array') {
    const delimiter = arg.items[0].value;
    const out: Part[] = [];
    for (const [i, item] of arg.items[1].items.entries()) {
      const parts = partsOf(item);
      if (!parts) return undefined;
      if (i > 0) out.push({ lit: delimiter });
      out.push(...parts);
    }
    return out;
  }
  return undefined;
}

/**
 * Splits `resolved` along the literal pieces; each reference gets the text between them. Only
 * references whose value holds an unknown are returned (a known value is quoted as resolved).
 */
function align(parts: Part[], resolved: string): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if ('lit' in part) {
      if (!resolved.startsWith(part.lit, at)) return undefined;
      at += part.lit.length;
      continue;
    }
    const next = parts.slice(i + 1).find((p): p is { lit: string } => 'lit' in p && p.lit !== '');
    const end = next ? resolved.indexOf(next.lit, at) : resolved.length;
    if (end < 0) return undefined;
    const value = resolved.slice(at, end);
    if (value.includes(UNKNOWN_NAME)) pairs.push([value, part.ref]);
    at = end;
  }
  return at === resolved.length ? pairs : undefined;
}

function strings(node: LNode, out: Map<string, string>): void {
  if (node.kind === 'string') out.set(`${node.start}:${node.end}`, node.value);
  else if (node.kind === 'object') node.entries.forEach((e) => strings(e.value, out));
  else if (node.kind === 'array') node.items.forEach((i) => strings(i, out));
  else if (node.kind === 'intrinsic') strings(node.arg, out);
}

/**
 * The unknown parts of the resolved values between `start` and `end`, each with the template's
 * text for it. A value two references resolve to alike is left out (which one a message means is
 * not known).
 */
export function writtenUnknowns(template: LNode, resolved: LNode, start: number, end: number): Map<string, string> {
  const values = new Map<string, string>();
  strings(resolved, values);
  const found = new Map<string, string | null>();
  const visit = (node: LNode): void => {
    if (node.end < start || node.start > end) return;
    if (node.kind === 'intrinsic') {
      const value = values.get(`${node.start}:${node.end}`);
      const parts = partsOf(node);
      if (value !== undefined && parts) {
        for (const [unknown, written] of align(parts, value) ?? []) {
          const seen = found.get(unknown);
          found.set(unknown, seen === undefined || seen === written ? written : null);
        }
        return;
      }
      visit(node.arg);
    } else if (node.kind === 'object') node.entries.forEach((e) => visit(e.value));
    else if (node.kind === 'array') node.items.forEach(visit);
  };
  visit(template);
  return new Map([...found].filter((e): e is [string, string] => e[1] !== null));
}

/** A message with each unknown part as the template writes it (longest first), the rest as `${…}`. */
export function quoteWritten(message: string, written: Map<string, string>): string {
  let out = message;
  for (const [unknown, text] of [...written].sort((a, b) => b[0].length - a[0].length))
    out = out.replaceAll(unknown, text);
  return out.replaceAll(UNKNOWN_NAME, '${…}');
}
