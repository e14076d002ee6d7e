import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SafeStorage } from 'electron';
import { ColdkeepError, type SecretStore } from '@coldkeep/shared';

/** The part of Electron's `safeStorage` this store uses, so tests can pass a fake. */
export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> &
  Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

/**
 * Why secrets cannot be kept, or undefined when they can. On Linux without a keyring, Chromium
 * falls back to a fixed, public key ("basic_text"): that is storing in the clear with extra steps,
 * so it counts as unavailable.
 */
export function encryptionProblem(
  safeStorage: SafeStorageLike,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (!safeStorage.isEncryptionAvailable()) return 'this system offers no encryption to apps (safeStorage)';
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return 'no keyring (GNOME Keyring, KWallet) is running, so Electron would only obscure secrets, not encrypt them';
  }
  return undefined;
}

/**
 * Secrets (MFA sessions) encrypted by the OS through Electron's safeStorage (Keychain, DPAPI,
 * libsecret), kept as base64 in one 0600 file written atomically. Refuses to store anything when
 * no real encryption is available: an MFA code must then be given again, never saved in the clear.
 */
export class SafeStorageSecretStore implements SecretStore {
  readonly path: string;
  private readonly safeStorage: SafeStorageLike;
  private readonly platform: NodeJS.Platform;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(safeStorage: SafeStorageLike, path: string, platform: NodeJS.Platform = process.platform) {
    this.safeStorage = safeStorage;
    this.path = path;
    this.platform = platform;
  }

  async get(key: string): Promise<string | undefined> {
    const sealed = (await this.readAll())[key];
    if (sealed === undefined) return undefined;
    this.assertAvailable();
    try {
      return this.safeStorage.decryptString(Buffer.from(sealed, 'base64'));
    } catch {
      // Sealed by another user or machine key: as good as absent (a new session is asked for).
      return undefined;
    }
  }

  async set(key: string, value: string): Promise<void> {
    this.assertAvailable();
    const sealed = this.safeStorage.encryptString(value).toString('base64');
    await this.change((all) => ({ ...all, [key]: sealed }));
  }

  async delete(key: string): Promise<void> {
    await this.change((all) => {
      const rest = { ...all };
      delete rest[key];
      return rest;
    });
  }

  private assertAvailable(): void {
    const problem = encryptionProblem(this.safeStorage, this.platform);
    if (problem) {
      throw new ColdkeepError('EncryptionUnavailable', `Coldkeep will not store secrets here: ${problem}.`, {
        hint: 'Enter the MFA code when asked; nothing is saved. On Linux, start a keyring (e.g. gnome-keyring) and restart Coldkeep.',
      });
    }
  }

  private change(update: (all: Record<string, string>) => Record<string, string>): Promise<void> {
    const next = this.queue.then(async () => this.writeAll(update(await this.readAll())));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readAll(): Promise<Record<string, string>> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return Object.fromEntries(
          Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'),
        );
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
    return {};
  }

  private async writeAll(all: Record<string, string>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
