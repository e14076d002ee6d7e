import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { compressFrame, type CompressionChoice, decompressFrame, worthCompressing } from './contentCompression';

/**
 * The one codec every repository object of an encrypted source goes through on its way to and
 * from the bucket (snapshot format 3): blobs, pack entries, pack indexes, snapshot manifests and
 * any later kind (trees). A plain source (formats 1 and 2) uses PLAIN_CODEC: the same calls,
 * nothing done.
 *
 * A sealed object:
 *
 *   header  "CKS1" | version (1) | kind (1) | nonce (12 random bytes)          18 bytes
 *   frames  u32 BE (bit 31: last frame; the rest: ciphertext length) | ciphertext | GCM tag (16)
 *
 * Each frame is AES-256-GCM under the content key, nonce = the object's nonce with its last 4
 * bytes XORed with the frame number, AAD = header | frame number (u32) | last (u8): a frame
 * cannot be moved, dropped, cut off at the end, or put under another kind or object. A frame's
 * plaintext is a mark byte (0 stored as is, 1 zstd) then the bytes: compression happens before
 * encryption, and the mark is encrypted too. Small objects are one frame; streamed blobs are
 * frames of FRAME_SIZE bytes of content, so a restore decrypts as it downloads.
 */
export type ObjectKind = 'blob' | 'pack-entry' | 'pack-index' | 'snapshot' | 'snapshot-meta' | 'tree';

const KIND_BYTE: Record<ObjectKind, number> = {
  blob: 1,
  'pack-entry': 2,
  'pack-index': 3,
  snapshot: 4,
  'snapshot-meta': 5,
  tree: 6,
};

const MAGIC = Buffer.from('CKS1', 'ascii');
const VERSION = 1;
const HEADER_SIZE = MAGIC.length + 2 + 12;
const TAG_SIZE = 16;
const LAST_FRAME = 0x80000000;
/** Content bytes per frame of a streamed blob. */
export const FRAME_SIZE = 1024 * 1024;
/** What sealing adds to an object of one frame: header, frame length, mark byte, tag. */
export const SEAL_OVERHEAD = HEADER_SIZE + 4 + 1 + TAG_SIZE;

/** The mark byte of a frame's plaintext. */
const STORED = 0;
const ZSTD = 1;

export interface ObjectCodec {
  /** True for format 3 (encrypted) objects. */
  readonly sealed: boolean;
  /** The object name of a blob with this content hash: the hash itself, or a keyed hash (HMAC-SHA256). */
  blobName(sha256: string): string;
  /** The bytes to store for `plain`; `compress` false for bytes already compressed (gzip manifests). */
  seal(kind: ObjectKind, plain: Uint8Array, options?: { compress?: boolean }): Buffer;
  /** The plain bytes of a stored object; a SealBrokenError when it is not what was sealed. */
  open(kind: ObjectKind, stored: Uint8Array, where: string): Buffer;
  /** A stream that seals what passes (frames of FRAME_SIZE), for multipart blob uploads. */
  sealStream(kind: ObjectKind): Transform;
  /** A stream that opens what passes; fails with SealBrokenError on any damage. */
  openStream(kind: ObjectKind, where: string): Transform;
}

/** Formats 1 and 2: objects are stored as they are and named by their SHA-256. */
export const PLAIN_CODEC: ObjectCodec = Object.freeze({
  sealed: false,
  blobName: (sha256: string) => sha256,
  seal: (_kind: ObjectKind, plain: Uint8Array) => Buffer.from(plain.buffer, plain.byteOffset, plain.length),
  open: (_kind: ObjectKind, stored: Uint8Array) => Buffer.from(stored.buffer, stored.byteOffset, stored.length),
  sealStream: () => new Transform({ transform: (chunk: Buffer, _e, done) => done(null, chunk) }),
  openStream: () => new Transform({ transform: (chunk: Buffer, _e, done) => done(null, chunk) }),
});

/**
 * A stored object that does not open: altered, cut short, of another kind, or sealed under
 * another key. Coded ChecksumMismatch: it takes the damage path (reported, recorded, never
 * restored), like a blob whose SHA-256 is wrong.
 */
export class SealBrokenError extends ColdkeepError {
  constructor(where: string, why: string) {
    super('ChecksumMismatch', `${where} is damaged: ${why}.`, {
      hint: 'The object was altered or damaged in the bucket; restore those files from another snapshot, and run "coldkeep files verify --repair --read-data all".',
      details: { key: where, why },
    });
  }
}

/** Whether stored bytes are a sealed object (format 3) rather than plain ones. */
export function isSealed(stored: Uint8Array): boolean {
  return stored.length >= MAGIC.length && Buffer.from(stored.buffer, stored.byteOffset, 4).equals(MAGIC);
}

/** The two keys derived from a repository key (HKDF-SHA256), one per use. */
export function deriveKeys(repositoryKey: Buffer): { content: Buffer; names: Buffer } {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', repositoryKey, Buffer.alloc(0), info, 32));
  return { content: derive('coldkeep folder content v1'), names: derive('coldkeep folder names v1') };
}

function header(kind: ObjectKind, nonce: Buffer): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([VERSION, KIND_BYTE[kind]]), nonce]);
}

function frameNonce(nonce: Buffer, index: number): Buffer {
  const n = Buffer.from(nonce);
  n.writeUInt32BE((n.readUInt32BE(8) ^ index) >>> 0, 8);
  return n;
}

function frameAad(head: Buffer, index: number, last: boolean): Buffer {
  const aad = Buffer.allocUnsafe(head.length + 5);
  head.copy(aad);
  aad.writeUInt32BE(index, head.length);
  aad[head.length + 4] = last ? 1 : 0;
  return aad;
}

/** AES-256-GCM (Node's crypto) under a repository's content key; blob names keyed by its name key. */
export class SealingCodec implements ObjectCodec {
  readonly sealed = true;
  private readonly content: Buffer;
  private readonly names: Buffer;

  constructor(
    repositoryKey: Buffer,
    private readonly compression: CompressionChoice = { level: 3 },
  ) {
    const keys = deriveKeys(repositoryKey);
    this.content = keys.content;
    this.names = keys.names;
  }

  blobName(sha256: string): string {
    return createHmac('sha256', this.names).update(Buffer.from(sha256, 'hex')).digest('hex');
  }

  seal(kind: ObjectKind, plain: Uint8Array, { compress = true }: { compress?: boolean } = {}): Buffer {
    const data = Buffer.from(plain.buffer, plain.byteOffset, plain.length);
    const head = header(kind, randomBytes(12));
    const squeeze = compress && worthCompressing(data, this.compression);
    const parts: Buffer[] = [head];
    let index = 0;
    for (let at = 0; ; at += FRAME_SIZE) {
      const chunk = data.subarray(at, at + FRAME_SIZE);
      const last = at + FRAME_SIZE >= data.length;
      parts.push(this.sealFrame(head, index++, last, chunk, squeeze));
      if (last) break;
    }
    return Buffer.concat(parts);
  }

  open(kind: ObjectKind, stored: Uint8Array, where: string): Buffer {
    const opener = new FrameOpener(this.content, kind, where);
    const out = opener.push(Buffer.from(stored.buffer, stored.byteOffset, stored.length));
    opener.end();
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  sealStream(kind: ObjectKind): Transform {
    const head = header(kind, randomBytes(12));
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let index = 0;
    let squeeze: boolean | undefined;
    let started = false;
    // A frame is sealed only once the next byte is seen, so the last one is known as last.
    const take = (size: number): Buffer => {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      const frame = all.subarray(0, size);
      const rest = all.subarray(size);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
      return frame;
    };
    return new Transform({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => {
        pending.push(chunk);
        pendingBytes += chunk.length;
        const out: Buffer[] = [];
        if (!started) {
          out.push(head);
          started = true;
        }
        while (pendingBytes > FRAME_SIZE) {
          const frame = take(FRAME_SIZE);
          squeeze ??= worthCompressing(frame, this.compression);
          out.push(this.sealFrame(head, index++, false, frame, squeeze));
        }
        done(null, out.length ? Buffer.concat(out) : undefined);
      },
      flush: (done: TransformCallback) => {
        const frame = take(pendingBytes);
        squeeze ??= worthCompressing(frame, this.compression);
        const sealed = this.sealFrame(head, index++, true, frame, squeeze);
        done(null, started ? sealed : Buffer.concat([head, sealed]));
      },
    });
  }

  openStream(kind: ObjectKind, where: string): Transform {
    const opener = new FrameOpener(this.content, kind, where);
    return new Transform({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => {
        try {
          const out = opener.push(chunk);
          done(null, out.length ? Buffer.concat(out) : undefined);
        } catch (err) {
          done(err as Error);
        }
      },
      flush: (done: TransformCallback) => {
        try {
          opener.end();
          done();
        } catch (err) {
          done(err as Error);
        }
      },
    });
  }

  private sealFrame(head: Buffer, index: number, last: boolean, chunk: Buffer, squeeze: boolean): Buffer {
    const packed = squeeze ? compressFrame(chunk, this.compression) : undefined;
    const mark = Buffer.from([packed ? ZSTD : STORED]);
    const cipher = createCipheriv('aes-256-gcm', this.content, frameNonce(head.subarray(HEADER_SIZE - 12), index));
    cipher.setAAD(frameAad(head, index, last));
    const body = Buffer.concat([cipher.update(mark), cipher.update(packed ?? chunk), cipher.final()]);
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(((last ? LAST_FRAME : 0) | body.length) >>> 0);
    return Buffer.concat([length, body, cipher.getAuthTag()]);
  }
}

/** Reads frames as bytes arrive, opening each whole one; `end` checks that the last one came. */
class FrameOpener {
  private buffered: Buffer = Buffer.alloc(0);
  private head: Buffer | undefined;
  private index = 0;
  private done = false;

  constructor(
    private readonly key: Buffer,
    private readonly kind: ObjectKind,
    private readonly where: string,
  ) {}

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const out: Buffer[] = [];
    if (!this.head) {
      if (this.buffered.length < HEADER_SIZE) return out;
      const head = this.buffered.subarray(0, HEADER_SIZE);
      if (!head.subarray(0, 4).equals(MAGIC)) throw new SealBrokenError(this.where, 'it is not an encrypted object');
      if (head[4] !== VERSION) throw new SealBrokenError(this.where, `unknown encryption version ${head[4]}`);
      if (head[5] !== KIND_BYTE[this.kind]) throw new SealBrokenError(this.where, `it is not a ${this.kind}`);
      this.head = Buffer.from(head);
      this.buffered = this.buffered.subarray(HEADER_SIZE);
    }
    while (this.buffered.length >= 4) {
      if (this.done) throw new SealBrokenError(this.where, 'bytes follow its last frame');
      const word = this.buffered.readUInt32BE(0);
      const last = (word & LAST_FRAME) !== 0;
      const size = (word & ~LAST_FRAME) >>> 0;
      if (size > FRAME_SIZE + 1024) throw new SealBrokenError(this.where, 'a frame length is out of range');
      if (this.buffered.length < 4 + size + TAG_SIZE) break;
      const body = this.buffered.subarray(4, 4 + size);
      const tag = this.buffered.subarray(4 + size, 4 + size + TAG_SIZE);
      this.buffered = this.buffered.subarray(4 + size + TAG_SIZE);
      out.push(this.openFrame(body, tag, last));
      this.done = last;
    }
    return out;
  }

  end(): void {
    if (!this.head || !this.done || this.buffered.length)
      throw new SealBrokenError(this.where, 'it is cut short (its last frame is missing)');
  }

  private openFrame(body: Buffer, tag: Buffer, last: boolean): Buffer {
    const head = this.head!;
    const index = this.index++;
    const decipher = createDecipheriv('aes-256-gcm', this.key, frameNonce(head.subarray(HEADER_SIZE - 12), index));
    decipher.setAAD(frameAad(head, index, last));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new SealBrokenError(this.where, 'it fails authentication (altered, or sealed under another key)');
    }
    if (plain[0] === STORED) return plain.subarray(1);
    if (plain[0] === ZSTD) return decompressFrame(plain.subarray(1));
    throw new SealBrokenError(this.where, `unknown compression mark ${plain[0]}`);
  }
}
