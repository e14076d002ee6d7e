import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withRetry } from '../../base/jobs/backoff';
import { listObjects } from '../../storage/objectListing';
import { type StorageOptions } from '../../storage/storageOptions';
import { keysDir, keyWrapKey, type SourceLocation, wrapIdOf } from './layout';

/**
 * The repository key of an encrypted source: 32 random bytes, never stored as they are. Each
 * wrap is one small JSON object, `<source>/keys/<wrapId>.json`, holding the key sealed
 * (AES-256-GCM) under a key-encryption key made either from a passphrase (scrypt, memory-hard,
 * at the cost stated in the object) or by KMS (GenerateDataKey; Decrypt opens it again). Any
 * one wrap opens the source; losing every wrap (or every passphrase and KMS key they need)
 * loses the data.
 */
export const KEY_WRAP_FORMAT = 'coldkeep.folder-key';

/**
 * scrypt's cost for new passphrase wraps: N = 2^17, r = 8, p = 1 — 128 MiB of memory and about
 * half a second per try, restic's and kopia's order of cost. Stored per wrap, so it can grow.
 */
export const SCRYPT_COST = { N: 2 ** 17, r: 8, p: 1 } as const;

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

const keyWrapSchema = z.object({
  format: z.literal(KEY_WRAP_FORMAT),
  formatVersion: z.literal(1),
  id: z.string().regex(/^[0-9a-z-]+$/),
  /** Which repository key this wraps (a keyed hash of it): every wrap of a source names the same. */
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  createdAt: z.string(),
  /** user@host that made it, for `files key list`. */
  createdBy: z.string(),
  wrap: z.discriminatedUnion('type', [
    z.object({
      type: z.literal('passphrase'),
      kdf: z.object({
        name: z.literal('scrypt'),
        N: z.number().int().positive(),
        r: z.number().int().positive(),
        p: z.number().int().positive(),
        salt: b64,
      }),
    }),
    z.object({
      type: z.literal('kms'),
      kmsKeyId: z.string().min(1),
      /** KMS's CiphertextBlob of the data key the repository key is sealed under. */
      encryptedDataKey: b64,
    }),
  ]),
  cipher: z.literal('aes-256-gcm'),
  nonce: b64,
  /** The repository key, sealed: ciphertext then the 16-byte tag. */
  wrappedKey: b64,
});

export type KeyWrap = z.infer<typeof keyWrapSchema>;
export type KeyWrapType = KeyWrap['wrap']['type'];

/** What `files key list` shows of a wrap (nothing secret). */
export interface KeyWrapSummary {
  id: string;
  type: KeyWrapType;
  kmsKeyId?: string;
  createdAt: string;
  createdBy: string;
}

export function summaryOf(wrap: KeyWrap): KeyWrapSummary {
  return {
    id: wrap.id,
    type: wrap.wrap.type,
    ...(wrap.wrap.type === 'kms' ? { kmsKeyId: wrap.wrap.kmsKeyId } : {}),
    createdAt: wrap.createdAt,
    createdBy: wrap.createdBy,
  };
}

/** A new repository key. */
export function newRepositoryKey(): Buffer {
  return randomBytes(32);
}

export function keyIdOf(repositoryKey: Buffer): string {
  return createHmac('sha256', repositoryKey).update('coldkeep folder key id').digest('hex').slice(0, 16);
}

function newWrapId(type: KeyWrapType): string {
  return `${type === 'kms' ? 'kms' : 'pass'}-${randomBytes(4).toString('hex')}`;
}

function aadOf(id: string, keyId: string): Buffer {
  return Buffer.from(`${KEY_WRAP_FORMAT}/1/${id}/${keyId}`);
}

function sealKey(kek: Buffer, repositoryKey: Buffer, id: string, keyId: string): { nonce: string; wrappedKey: string } {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(aadOf(id, keyId));
  const sealed = Buffer.concat([cipher.update(repositoryKey), cipher.final(), cipher.getAuthTag()]);
  return { nonce: nonce.toString('base64'), wrappedKey: sealed.toString('base64') };
}

/** The repository key, or undefined when `kek` is not the one it was sealed under. */
function openKey(kek: Buffer, wrap: KeyWrap): Buffer | undefined {
  const sealed = Buffer.from(wrap.wrappedKey, 'base64');
  if (sealed.length !== 32 + 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(wrap.nonce, 'base64'));
    decipher.setAAD(aadOf(wrap.id, wrap.keyId));
    decipher.setAuthTag(sealed.subarray(32));
    const key = Buffer.concat([decipher.update(sealed.subarray(0, 32)), decipher.final()]);
    return keyIdOf(key) === wrap.keyId ? key : undefined;
  } catch {
    return undefined;
  }
}

function passphraseKek(passphrase: string, kdf: { N: number; r: number; p: number; salt: string }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      Buffer.from(kdf.salt, 'base64'),
      32,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 128 * kdf.N * kdf.r + 64 * 1024 * 1024 },
      (err, kek) => (err ? reject(err) : resolve(kek)),
    );
  });
}

function createdBy(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No user name (some containers): the host alone.
  }
  return `${user}@${hostname()}`;
}

/** A passphrase wrap of `repositoryKey`. */
export async function wrapWithPassphrase(
  repositoryKey: Buffer,
  passphrase: string,
  cost: { N: number; r: number; p: number } = SCRYPT_COST,
  now: Date = new Date(),
): Promise<KeyWrap> {
  if (!passphrase) {
    throw new ColdkeepError('InvalidInput', 'The passphrase is empty.', { hint: 'Give a passphrase.' });
  }
  const id = newWrapId('passphrase');
  const keyId = keyIdOf(repositoryKey);
  const kdf = { name: 'scrypt' as const, ...cost, salt: randomBytes(16).toString('base64') };
  const kek = await passphraseKek(passphrase, kdf);
  return {
    format: KEY_WRAP_FORMAT,
    formatVersion: 1,
    id,
    keyId,
    createdAt: now.toISOString(),
    createdBy: createdBy(),
    wrap: { type: 'passphrase', kdf },
    cipher: 'aes-256-gcm',
    ...sealKey(kek, repositoryKey, id, keyId),
  };
}

/** The encryption context of a wrap's data key: KMS binds it, CloudTrail shows it, IAM conditions may name it. */
export function kmsContext(loc: SourceLocation, wrapId: string): Record<string, string> {
  return { 'coldkeep:source': loc.source, 'coldkeep:wrap': wrapId };
}

/** A KMS wrap of `repositoryKey`: a data key from GenerateDataKey seals it; Decrypt opens it again. */
export async function wrapWithKms(
  kms: KMSClient,
  loc: SourceLocation,
  repositoryKey: Buffer,
  kmsKeyId: string,
  now: Date = new Date(),
  signal?: AbortSignal,
): Promise<KeyWrap> {
  const id = newWrapId('kms');
  const keyId = keyIdOf(repositoryKey);
  const dataKey = await kms
    .send(new GenerateDataKeyCommand({ KeyId: kmsKeyId, KeySpec: 'AES_256', EncryptionContext: kmsContext(loc, id) }), {
      abortSignal: signal,
    })
    .catch((err: unknown) => {
      throw kmsError(err, `make a data key with KMS key ${kmsKeyId}`);
    });
  if (!dataKey.Plaintext || !dataKey.CiphertextBlob) {
    throw new ColdkeepError('UnexpectedResponse', 'KMS GenerateDataKey returned no data key.', {
      hint: 'Check the KMS endpoint.',
    });
  }
  const kek = Buffer.from(dataKey.Plaintext);
  try {
    return {
      format: KEY_WRAP_FORMAT,
      formatVersion: 1,
      id,
      keyId,
      createdAt: now.toISOString(),
      createdBy: createdBy(),
      wrap: {
        type: 'kms',
        kmsKeyId: dataKey.KeyId ?? kmsKeyId,
        encryptedDataKey: Buffer.from(dataKey.CiphertextBlob).toString('base64'),
      },
      cipher: 'aes-256-gcm',
      ...sealKey(kek, repositoryKey, id, keyId),
    };
  } finally {
    kek.fill(0);
  }
}

/** KMS refusals in the user's terms: a key that is not this wrap's is WrongKey, the rest as any AWS error. */
function kmsError(err: unknown, doing: string): unknown {
  const name = (err as { name?: string }).name ?? '';
  if (
    ['IncorrectKeyException', 'InvalidCiphertextException', 'NotFoundException', 'DisabledException'].includes(name)
  ) {
    return new ColdkeepError('WrongKey', `KMS could not ${doing}: ${name.replace(/Exception$/, '')}.`, {
      hint: 'The KMS key that made this wrap is not the one given, or it is disabled or deleted; use another wrap (a passphrase), or re-enable the key.',
      cause: err,
    });
  }
  return fromAwsError(err, { doing });
}

/** Opens a passphrase wrap: the repository key, or undefined when the passphrase is not this wrap's. */
export async function openWithPassphrase(wrap: KeyWrap, passphrase: string): Promise<Buffer | undefined> {
  if (wrap.wrap.type !== 'passphrase') return undefined;
  return openKey(await passphraseKek(passphrase, wrap.wrap.kdf), wrap);
}

/** Opens a KMS wrap with Decrypt; a KMS refusal is thrown coded (WrongKey, AccessDenied…). */
export async function openWithKms(
  kms: KMSClient,
  loc: SourceLocation,
  wrap: KeyWrap,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (wrap.wrap.type !== 'kms') throw new Error('not a KMS wrap');
  const { kmsKeyId, encryptedDataKey } = wrap.wrap;
  const answer = await kms
    .send(
      new DecryptCommand({
        CiphertextBlob: Buffer.from(encryptedDataKey, 'base64'),
        KeyId: kmsKeyId,
        EncryptionContext: kmsContext(loc, wrap.id),
      }),
      { abortSignal: signal },
    )
    .catch((err: unknown) => {
      throw kmsError(err, `open key wrap ${wrap.id} with KMS key ${kmsKeyId}`);
    });
  const kek = Buffer.from(answer.Plaintext ?? new Uint8Array());
  try {
    const key = kek.length === 32 ? openKey(kek, wrap) : undefined;
    if (!key) {
      throw new ColdkeepError('WrongKey', `Key wrap ${wrap.id} does not open with what KMS returned.`, {
        hint: 'The wrap is damaged or was not made by Coldkeep; use another wrap (a passphrase).',
      });
    }
    return key;
  } finally {
    kek.fill(0);
  }
}

/** Every key wrap of a source (none: the source is not encrypted), in id order. */
export async function listKeyWraps(s3: S3Client, loc: SourceLocation, signal?: AbortSignal): Promise<KeyWrap[]> {
  const ids: string[] = [];
  for await (const o of listObjects(s3, loc.bucket, keysDir(loc), signal)) {
    const id = wrapIdOf(o.Key ?? '');
    if (id) ids.push(id);
  }
  const wraps: KeyWrap[] = [];
  for (const id of ids.sort()) {
    const key = keyWrapKey(loc, id);
    const text = await withRetry(
      async () => {
        const response = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }), { abortSignal: signal });
        return response.Body!.transformToString();
      },
      { signal },
    ).catch((err: unknown) => {
      throw fromAwsError(err, { doing: `read key wrap ${key}`, bucket: loc.bucket });
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = keyWrapSchema.safeParse(json);
    if (!parsed.success || parsed.data.id !== id) {
      throw new ColdkeepError('ManifestInvalid', `The key wrap s3://${loc.bucket}/${key} is not valid.`, {
        hint: 'It is damaged or not a Coldkeep key wrap; remove it with "coldkeep files key remove" if another wrap opens the source.',
      });
    }
    wraps.push(parsed.data);
  }
  return wraps;
}

/** Stores a wrap (Standard storage, never under Object Lock: a wrap must stay removable). */
export async function putKeyWrap(
  s3: S3Client,
  loc: SourceLocation,
  wrap: KeyWrap,
  storage: StorageOptions = {},
  signal?: AbortSignal,
): Promise<string> {
  const key = keyWrapKey(loc, wrap.id);
  const sse = storage.sse;
  await s3
    .send(
      new PutObjectCommand({
        Bucket: loc.bucket,
        Key: key,
        Body: JSON.stringify(wrap, null, 2),
        ContentType: 'application/json',
        ...(sse ? { ServerSideEncryption: sse.type } : {}),
        ...(sse?.type === 'aws:kms' && sse.kmsKeyId ? { SSEKMSKeyId: sse.kmsKeyId } : {}),
      }),
      { abortSignal: signal },
    )
    .catch((err: unknown) => {
      throw fromAwsError(err, { doing: `write key wrap ${key}`, bucket: loc.bucket });
    });
  return key;
}

export async function deleteKeyWrap(
  s3: S3Client,
  loc: SourceLocation,
  wrapId: string,
  signal?: AbortSignal,
): Promise<void> {
  const key = keyWrapKey(loc, wrapId);
  await s3
    .send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: key }), { abortSignal: signal })
    .catch((err: unknown) => {
      throw fromAwsError(err, { doing: `remove key wrap ${key}`, bucket: loc.bucket });
    });
}
