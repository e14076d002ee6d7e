import type { SecretStore } from '@coldkeep/shared';
import type * as vscode from 'vscode';

/** Coldkeep's SecretStore on VS Code's SecretStorage (the OS keychain, or the browser's storage on the web). */
export class SecretStorageStore implements SecretStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(key: string): Promise<string | undefined> {
    return this.secrets.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    await this.secrets.store(key, value);
  }

  async delete(key: string): Promise<void> {
    await this.secrets.delete(key);
  }
}
