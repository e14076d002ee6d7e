import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';

/**
 * Compression of a sealed object's frames (before encryption): zstd from Node's zlib, chosen
 * by measurement (bench/compression.mjs, bench/README.md): on the mixed and small-file sets it
 * gave gzip's ratio or better at a fraction of its CPU, and brotli's only at many times the CPU.
 */
export interface CompressionChoice {
  /** zstd level; 0 turns compression off. */
  level: number;
}

/** Bytes of the start of an object compressed to judge the whole (the rest is not tried). */
export const SAMPLE_SIZE = 64 * 1024;
/** Stored as is when the sample compresses to more than this share of its size. */
export const INCOMPRESSIBLE_RATIO = 0.9;
/** Below this, a frame is never worth compressing (the frame and zstd headers eat the gain). */
const TINY = 64;

function zstd(data: Buffer, level: number): Buffer {
  return zstdCompressSync(data, {
    params: { [constants.ZSTD_c_compressionLevel]: level, [constants.ZSTD_c_checksumFlag]: 0 },
  });
}

/**
 * Whether an object is worth compressing, judged cheaply on its first SAMPLE_SIZE bytes at the
 * fastest level: random or already compressed content (photos, archives, video) is stored as
 * is and costs no more CPU than this one sample. An object no bigger than the sample is simply
 * compressed once (compressFrame keeps the result only when it pays): a sample of the whole
 * would double the CPU of 100,000 small files.
 */
export function worthCompressing(data: Buffer, choice: CompressionChoice): boolean {
  if (choice.level <= 0 || data.length < TINY) return false;
  if (data.length <= SAMPLE_SIZE) return true;
  const sample = data.subarray(0, SAMPLE_SIZE);
  return zstd(sample, 1).length <= sample.length * INCOMPRESSIBLE_RATIO;
}

/** A frame's bytes compressed, or undefined when that would not save a tenth (it is then stored as is). */
export function compressFrame(data: Buffer, choice: CompressionChoice): Buffer | undefined {
  if (data.length < TINY) return undefined;
  const packed = zstd(data, choice.level);
  return packed.length <= data.length * INCOMPRESSIBLE_RATIO ? packed : undefined;
}

/** A frame's bytes decompressed; a frame never holds more than a frame of content. */
export function decompressFrame(data: Buffer): Buffer {
  return zstdDecompressSync(data, { maxOutputLength: 2 * 1024 * 1024 });
}
