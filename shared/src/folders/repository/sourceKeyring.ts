import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type StorageOptions } from '../../storage/storageOptions';
import { type SourceLocation } from './layout';
import {
  type KeyWrap,
  type KeyWrapSummary,
  listKeyWraps,
  newRepositoryKey,
  openWithKms,
  openWithPassphrase,
  putKeyWrap,
  summaryOf,
  wrapWithKms,
  wrapWithPassphrase,
} from './keyWraps';
import { type ObjectCodec, PLAIN_CODEC, SealingCodec } from './objectCodec';

/**
 * What a job may use to open an encrypted source. KMS wraps need nothing here: the job's own
 * credentials open them (kms:Decrypt), which is how a schedule or the tray app runs without a
 * prompt when the source has a KMS wrap. A passphrase comes from the front end (an environment
 * variable or file for the CLI, the OS secret store for the tray app), and is never logged.
 */
export interface KeyMaterial {
  /** A passphrase given up front: it must open a passphrase wrap, or the job stops with WrongKey. */
  passphrase?: string;
  /** Asked only when nothing else opens the source (the CLI's prompt on a terminal). */
  askPassphrase?: () => Promise<string | undefined>;
  /** A KMS key to make the first wrap with, when a backup turns encryption on. */
  kmsKeyId?: string;
}

/** The warning said whenever a source's first wrap is made. */
export const FIRST_WRAP_WARNING =
  'This source is now encrypted. Its data can only be read with one of its key wraps: if every passphrase is forgotten and every KMS key of its wraps is deleted, the data is lost for good, and no one (not Coldkeep, not AWS) can recover it. Add a second wrap with "coldkeep files key add".';

export const PASSPHRASE_HINT =
  'Give its passphrase ({setting:passphraseFile}, or the COLDKEEP_PASSPHRASE environment variable), or run with credentials that may use the KMS key of one of its wraps (kms:Decrypt); "coldkeep files key list" shows them.';

/**
 * The keys of one source, opened once per job and only when needed: a job that meets only
 * plain (format 1 and 2) objects never asks for a passphrase nor calls KMS.
 */
export class SourceKeyring {
  private wrapsRead: Promise<KeyWrap[]> | undefined;
  private opened: Promise<Buffer> | undefined;
  private codecMade: SealingCodec | undefined;

  constructor(
    private readonly clients: Pick<AwsClients, 's3' | 'kms'>,
    readonly loc: SourceLocation,
    private readonly material: KeyMaterial = {},
    private readonly signal?: AbortSignal,
  ) {}

  /** A keyring of the same source that opens with `wraps` only (to prove another wrap opens before one goes). */
  limitedTo(wraps: KeyWrap[]): SourceKeyring {
    const limited = new SourceKeyring(this.clients, this.loc, this.material, this.signal);
    limited.wrapsRead = Promise.resolve(wraps);
    return limited;
  }

  wraps(): Promise<KeyWrap[]> {
    this.wrapsRead ??= listKeyWraps(this.clients.s3, this.loc, this.signal);
    return this.wrapsRead;
  }

  async encrypted(): Promise<boolean> {
    return (await this.wraps()).length > 0;
  }

  /** The codec of the source's format 3 objects; KeyRequired or WrongKey when it cannot be opened. */
  async codec(): Promise<SealingCodec> {
    if (this.codecMade) return this.codecMade;
    this.opened ??= this.open();
    this.codecMade = new SealingCodec(await this.opened);
    return this.codecMade;
  }

  /** The codec a snapshot was written with: sealed for an encrypted (format 3) one, else plain. */
  async codecFor(manifest: { encrypted?: true }): Promise<ObjectCodec> {
    return manifest.encrypted ? this.codec() : PLAIN_CODEC;
  }

  /** The repository key, opened with the first wrap that opens. */
  repositoryKey(): Promise<Buffer> {
    this.opened ??= this.open();
    return this.opened;
  }

  /**
   * The codec a backup writes with: sealed when the source has wraps (or gets its first one now,
   * from the passphrase or KMS key given), plain otherwise. `created` is the wrap made now.
   */
  async forBackup(storage: StorageOptions = {}): Promise<{ codec: ObjectCodec; created?: KeyWrapSummary }> {
    if (await this.encrypted()) return { codec: await this.codec() };
    const { passphrase, kmsKeyId } = this.material;
    if (!passphrase && !kmsKeyId) return { codec: PLAIN_CODEC };
    const created = await this.createFirst(storage);
    return { codec: await this.codec(), created };
  }

  /** Makes the repository key and its first wrap (KMS when a KMS key is given, else the passphrase). */
  async createFirst(storage: StorageOptions = {}, now: Date = new Date()): Promise<KeyWrapSummary> {
    const key = newRepositoryKey();
    const { passphrase, kmsKeyId } = this.material;
    const wrap = kmsKeyId
      ? await wrapWithKms(this.clients.kms, this.loc, key, kmsKeyId, now, this.signal)
      : await wrapWithPassphrase(key, passphrase ?? '', undefined, now);
    await putKeyWrap(this.clients.s3, this.loc, wrap, storage, this.signal);
    this.wrapsRead = Promise.resolve([wrap]);
    this.opened = Promise.resolve(key);
    return summaryOf(wrap);
  }

  private async open(): Promise<Buffer> {
    const wraps = await this.wraps();
    const where = `Source "${this.loc.source}" in s3://${this.loc.bucket}`;
    if (wraps.length === 0) {
      throw new ColdkeepError('KeyRequired', `${where} holds encrypted snapshots but no key wrap.`, {
        hint: 'Its key wraps were removed from keys/: put a copy back (they are small JSON objects); without one the data cannot be read.',
      });
    }
    const byPassphrase = wraps.filter((w) => w.wrap.type === 'passphrase');
    const byKms = wraps.filter((w) => w.wrap.type === 'kms');
    const tryPassphrase = async (passphrase: string): Promise<Buffer> => {
      for (const wrap of byPassphrase) {
        const key = await openWithPassphrase(wrap, passphrase);
        if (key) return key;
      }
      throw new ColdkeepError(
        'WrongKey',
        byPassphrase.length
          ? `The passphrase given does not open ${where}.`
          : `${where} has no passphrase wrap; the passphrase given cannot open it.`,
        {
          hint: byPassphrase.length
            ? 'Check the passphrase (a typo, another source\'s passphrase, a file with a trailing line break is fine); "coldkeep files key list" shows the source\'s wraps.'
            : 'Open it with its KMS key (credentials that may call kms:Decrypt on it); "coldkeep files key list" shows the wraps.',
          details: { source: this.loc.source, wraps: wraps.map(summaryOf) },
        },
      );
    };
    if (this.material.passphrase) return tryPassphrase(this.material.passphrase);
    let kmsFailure: unknown;
    for (const wrap of byKms) {
      try {
        return await openWithKms(this.clients.kms, this.loc, wrap, this.signal);
      } catch (err) {
        kmsFailure ??= err;
      }
    }
    if (byPassphrase.length && this.material.askPassphrase) {
      const asked = await this.material.askPassphrase();
      if (asked) return tryPassphrase(asked);
    }
    if (kmsFailure instanceof ColdkeepError && !byPassphrase.length) throw kmsFailure;
    throw new ColdkeepError('KeyRequired', `${where} is encrypted, and nothing given opens it.`, {
      hint: PASSPHRASE_HINT,
      details: {
        source: this.loc.source,
        wraps: wraps.map(summaryOf),
        ...(kmsFailure instanceof Error ? { kms: kmsFailure.message } : {}),
      },
    });
  }
}
