import { InvalidArgumentError } from 'commander';
import { ColdkeepError } from '../base/errors/ColdkeepError';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number of 1 or more, got "${value}"`);
  return n;
}

export function parseFraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`expected a fraction above 0 and at most 1, got "${value}"`);
  return n;
}

export function parseDate(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new InvalidArgumentError(`expected an ISO 8601 date, e.g. 2027-01-31, got "${value}"`);
  return d;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** A size such as 10GiB, 500MB or 1073741824 (bytes). */
export function parseSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new InvalidArgumentError(`expected a size such as 10GiB, 500MB or a number of bytes, got "${value}"`);
  return Math.round(Number(m[1]) * unit);
}

// Range-checked flag parsers. Each names its flag and the range it takes, and throws a coded
// ColdkeepError (exit 2) while the command line is parsed, before any AWS call is made.

const plain = (n: number): string => n.toLocaleString('en-US');

function badFlag(flag: string, value: string, takes: string): ColdkeepError {
  return new ColdkeepError('FlagOutOfRange', `${flag} takes ${takes}; got "${value}".`, {
    hint: `Give ${flag} a value in that range, or leave it out for the default.`,
    details: { flag, value, takes },
  });
}

/** A whole number from `min` to `max`, e.g. `wholeNumber('--segments', 1, 1_000_000)`. */
export function wholeNumber(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw badFlag(flag, value, `a whole number from ${plain(min)} to ${plain(max)}`);
    return n;
  };
}

/** A fraction above 0 and at most 1. */
export function fraction(flag: string): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!(n > 0 && n <= 1)) throw badFlag(flag, value, 'a fraction above 0 and at most 1, e.g. 0.5');
    return n;
  };
}

const sizeText = (bytes: number): string => {
  const units: [number, string][] = [
    [1024 ** 4, 'TiB'],
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  const [unit, name] = units.find(([u]) => bytes >= u && bytes % u === 0) ?? [1, 'B'];
  return `${plain(bytes / unit)} ${name}`;
};

/** A size (10GiB, 500MB, 2G, or bytes) from `min` to `max` bytes. */
export function sizeFlag(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*$/i.exec(value);
    const takes = `a size from ${sizeText(min)} to ${sizeText(max)}, e.g. 500MB, 10GiB or a number of bytes`;
    if (!m) throw badFlag(flag, value, takes);
    const letter = m[2]!.toLowerCase();
    const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[letter] ?? 0;
    // "500MB" is decimal as in parseSize; "2G", "2GiB" and "2Gi" are binary, as filesCommon's sizes were.
    const decimal = letter !== '' && m[3] === '' && m[4] !== '';
    const bytes = Math.round(Number(m[1]) * (decimal ? 1000 : 1024) ** power);
    if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) throw badFlag(flag, value, takes);
    return bytes;
  };
}

const SECONDS = { '': 1, s: 1, m: 60, h: 3600, d: 86400 } as const;

/** A duration (0, 90s, 30m, 24h, 7d; a bare number is seconds) from `min` to `max` seconds; returns seconds. */
export function durationFlag(flag: string, min: number, max: number): (value: string) => number {
  const show = (s: number): string => {
    const found = (
      [
        [86400, 'day'],
        [3600, 'hour'],
        [60, 'minute'],
      ] as const
    ).find(([u]) => s > 0 && s % u === 0);
    const [u, word] = found ?? [1, 'second'];
    return `${plain(s / u)} ${word}${s / u === 1 ? '' : 's'}`;
  };
  return (value) => {
    const m = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(value);
    const seconds = m ? Number(m[1]) * SECONDS[m[2] as keyof typeof SECONDS] : NaN;
    if (!Number.isSafeInteger(seconds) || seconds < min || seconds > max)
      throw badFlag(flag, value, `a duration from ${show(min)} to ${show(max)}, e.g. 90m, 24h or 7d`);
    return seconds;
  };
}
