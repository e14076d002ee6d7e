import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type StorageOptions } from '../../storage/storageOptions';
import {
  deleteKeyWrap,
  type KeyWrapSummary,
  putKeyWrap,
  summaryOf,
  wrapWithKms,
  wrapWithPassphrase,
} from '../repository/keyWraps';
import { sourceLocation } from '../repository/layout';
import { FIRST_WRAP_WARNING, type KeyMaterial, SourceKeyring } from '../repository/sourceKeyring';

export interface KeySourceInput {
  bucket: string;
  prefix?: string;
  source: string;
}

export interface KeyAddInput extends KeySourceInput {
  /** What opens the source now (when it already has wraps). */
  keys?: KeyMaterial;
  /** The new wrap: by this passphrase… */
  newPassphrase?: string;
  /** …or by this KMS key (an ARN, id or alias). */
  kmsKeyId?: string;
  /** SSE for the wrap object. */
  storage?: StorageOptions;
  signal?: AbortSignal;
}

export interface KeyAddReport {
  source: string;
  added: KeyWrapSummary;
  /** True when this made the source's repository key: the source is encrypted from its next backup on. */
  created: boolean;
  /** Said when `created`: losing every wrap loses the data. */
  warning?: string;
  wraps: KeyWrapSummary[];
}

/**
 * Adds a key wrap to a source: the first one makes its repository key (from then on every
 * backup of the source is encrypted), a later one needs a wrap that opens already.
 */
export async function addKeyWrap(clients: AwsClients, input: KeyAddInput): Promise<KeyAddReport> {
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  if (!input.newPassphrase === !input.kmsKeyId) {
    throw new ColdkeepError('InvalidInput', 'Say what the new wrap is: a passphrase or a KMS key (one of them).', {
      hint: 'Give {setting:kmsKey=KEY}, or a new passphrase (asked, or {setting:newPassphraseFile}).',
    });
  }
  const keyring = new SourceKeyring(clients, loc, input.keys, input.signal);
  const before = await keyring.wraps();
  if (before.length === 0) {
    const first = new SourceKeyring(
      clients,
      loc,
      input.kmsKeyId ? { kmsKeyId: input.kmsKeyId } : { passphrase: input.newPassphrase },
      input.signal,
    );
    const added = await first.createFirst(input.storage);
    return { source: loc.source, added, created: true, warning: FIRST_WRAP_WARNING, wraps: [added] };
  }
  const key = await keyring.repositoryKey();
  const wrap = input.kmsKeyId
    ? await wrapWithKms(clients.kms, loc, key, input.kmsKeyId, new Date(), input.signal)
    : await wrapWithPassphrase(key, input.newPassphrase!);
  await putKeyWrap(clients.s3, loc, wrap, input.storage, input.signal);
  return {
    source: loc.source,
    added: summaryOf(wrap),
    created: false,
    wraps: [...before.map(summaryOf), summaryOf(wrap)],
  };
}

export async function listSourceKeys(
  clients: AwsClients,
  input: KeySourceInput & { signal?: AbortSignal },
): Promise<{ source: string; encrypted: boolean; wraps: KeyWrapSummary[] }> {
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  const wraps = await new SourceKeyring(clients, loc, {}, input.signal).wraps();
  return { source: loc.source, encrypted: wraps.length > 0, wraps: wraps.map(summaryOf) };
}

export interface KeyRemoveInput extends KeySourceInput {
  wrapId: string;
  /** What opens the source with another wrap: removing is allowed only when one still does. */
  keys?: KeyMaterial;
  signal?: AbortSignal;
}

/**
 * Removes a wrap. The last one is refused (LastKeyWrap): without a wrap the data is lost. The
 * caller must open the source with another wrap first, so a wrap is never removed by someone
 * who could not open the source without it.
 */
export async function removeKeyWrap(
  clients: AwsClients,
  input: KeyRemoveInput,
): Promise<{ source: string; removed: KeyWrapSummary; wraps: KeyWrapSummary[] }> {
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  const wraps = await new SourceKeyring(clients, loc, {}, input.signal).wraps();
  const target = wraps.find((w) => w.id === input.wrapId);
  if (!target) {
    throw new ColdkeepError('InvalidInput', `Source "${loc.source}" has no key wrap "${input.wrapId}".`, {
      hint: 'List them with "coldkeep files key list".',
      details: { wraps: wraps.map(summaryOf) },
    });
  }
  const others = wraps.filter((w) => w.id !== input.wrapId);
  if (others.length === 0) {
    throw new ColdkeepError('LastKeyWrap', `Key wrap ${input.wrapId} is the last one of source "${loc.source}".`, {
      hint: 'Removing it would make every snapshot of the source unreadable, for good. Add another wrap first ("coldkeep files key add").',
    });
  }
  // Another wrap must open the source (the one removed does not count).
  await new SourceKeyring(clients, loc, input.keys, input.signal).limitedTo(others).repositoryKey();
  await deleteKeyWrap(clients.s3, loc, input.wrapId, input.signal);
  return { source: loc.source, removed: summaryOf(target), wraps: others.map(summaryOf) };
}
