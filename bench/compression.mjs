#!/usr/bin/env node
// Which compression for format 3 (issue 19): ratio and CPU of zstd, brotli and gzip at a few
// levels, per file as Coldkeep compresses (each blob or pack entry on its own, stored as is when
// compression would not make it smaller), on scaled-down versions of the two benchmark sets:
//   mixed: files of 1 KiB-1 MiB (log-uniform), half random, half text
//   small: files of 1-4 KiB, half random, half text
// and the cost of the incompressible check (the first 64 KiB at zstd level 1, skipped above 0.9x).
// Usage: node bench/compression.mjs [--mixed N] [--small N]   (defaults 300 and 5000 files)
import { randomBytes } from 'node:crypto';
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  gunzipSync,
  gzipSync,
  zstdCompressSync,
  zstdDecompressSync,
} from 'node:zlib';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};

/** A deterministic generator (mulberry32), so runs compare. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will can more other some what time could about only into than them then its also these two may first any like now my such make over our even most after very'.split(
    ' ',
  );

/** Text of `size` bytes: prose, log lines and JSON records, like documents, logs and exports. */
function text(size, random) {
  const parts = [];
  let n = 0;
  while (n < size) {
    const kind = random();
    let line;
    if (kind < 0.4) {
      const words = [];
      for (let i = 0; i < 8 + random() * 14; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]);
      line = `${words.join(' ')}.\n`;
    } else if (kind < 0.75) {
      line = `2026-12-0${1 + Math.floor(random() * 7)}T${String(Math.floor(random() * 24)).padStart(2, '0')}:${String(Math.floor(random() * 60)).padStart(2, '0')}:11.${Math.floor(random() * 999)}Z INFO request id=${Math.floor(random() * 1e9).toString(16)} path=/api/v1/items/${Math.floor(random() * 5000)} status=${random() < 0.9 ? 200 : 404} ms=${Math.floor(random() * 300)}\n`;
    } else {
      line = `{"id":${Math.floor(random() * 1e6)},"name":"${WORDS[Math.floor(random() * WORDS.length)]}-${Math.floor(random() * 1000)}","price":${(random() * 100).toFixed(2)},"tags":["${WORDS[Math.floor(random() * WORDS.length)]}","${WORDS[Math.floor(random() * WORDS.length)]}"],"active":${random() < 0.5}}\n`;
    }
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

function makeSet(name, count, minBytes, maxBytes, seed) {
  const random = prng(seed);
  const files = [];
  for (let i = 0; i < count; i++) {
    const size =
      name === 'mixed'
        ? Math.round(minBytes * Math.exp(random() * Math.log(maxBytes / minBytes)))
        : Math.round(minBytes + random() * (maxBytes - minBytes));
    files.push(i % 2 ? randomBytes(size) : text(size, random));
  }
  return files;
}

const codecs = [
  ['none', 0, (b) => b, (b) => b],
  ...[1, 3, 6, 9].map((level) => [
    'zstd',
    level,
    (b) => zstdCompressSync(b, { params: { [constants.ZSTD_c_compressionLevel]: level } }),
    (b) => zstdDecompressSync(b),
  ]),
  ...[1, 4, 6, 9].map((level) => [
    'brotli',
    level,
    (b) =>
      brotliCompressSync(b, {
        params: { [constants.BROTLI_PARAM_QUALITY]: level, [constants.BROTLI_PARAM_SIZE_HINT]: b.length },
      }),
    (b) => brotliDecompressSync(b),
  ]),
  ...[1, 6, 9].map((level) => ['gzip', level, (b) => gzipSync(b, { level }), (b) => gunzipSync(b)]),
];

const cpuMs = (f) => {
  const start = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(start);
  return [value, (used.user + used.system) / 1000];
};

const SAMPLE = 64 * 1024;
// As contentCompression.ts: an object up to the sample's size is compressed once and kept only
// when it saves a tenth; a bigger one is judged on its first 64 KiB at level 1.
const worth = (b) =>
  b.length >= 64 &&
  (b.length <= SAMPLE ||
    zstdCompressSync(b.subarray(0, SAMPLE), { params: { [constants.ZSTD_c_compressionLevel]: 1 } }).length <=
      SAMPLE * 0.9);

function measure(name, files) {
  const total = files.reduce((n, f) => n + f.length, 0);
  const [flags, checkMs] = cpuMs(() => files.map(worth));
  const skipped = flags.filter((x) => !x).length;
  console.log(
    `\n${name}: ${files.length} files, ${(total / 1024 / 1024).toFixed(1)} MiB; the 64 KiB sample check: ${checkMs.toFixed(0)} ms CPU, ${skipped} files judged incompressible (stored as is)`,
  );
  console.log('codec    level   stored    ratio   compress CPU   MB/s   decompress CPU');
  for (const [codec, level, compress, decompress] of codecs) {
    let stored = 0;
    const packed = [];
    const [, cMs] = cpuMs(() => {
      files.forEach((f, i) => {
        if (codec === 'none' || !flags[i]) {
          packed.push(null);
          stored += f.length;
          return;
        }
        const c = compress(f);
        if (c.length <= f.length * 0.9) {
          packed.push(c);
          stored += c.length;
        } else {
          packed.push(null);
          stored += f.length;
        }
      });
    });
    const [, dMs] = cpuMs(() => packed.forEach((c) => c && decompress(c)));
    console.log(
      `${codec.padEnd(8)} ${String(level).padStart(5)} ${(stored / 1024 / 1024).toFixed(1).padStart(7)} MiB ${(stored / total).toFixed(3).padStart(7)}x ${cMs.toFixed(0).padStart(9)} ms ${(total / 1024 / 1024 / (cMs / 1000 || 1)).toFixed(0).padStart(7)} ${dMs.toFixed(0).padStart(10)} ms`,
    );
  }
}

measure('mixed', makeSet('mixed', arg('mixed', 300), 1024, 1024 * 1024, 1));
measure('small', makeSet('small', arg('small', 5000), 1024, 4096, 2));
