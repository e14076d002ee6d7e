/**
 * Where a front end keeps secrets: VS Code's SecretStorage, Electron's safeStorage, or a
 * 0600 file for the CLI. Values are opaque strings; the session module stores JSON.
 */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Removes the key; resolves whether or not it existed. */
  delete(key: string): Promise<void>;
}

/** A store that lives as long as the process: tests, and front ends that must not persist. */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}
