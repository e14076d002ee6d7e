import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ColdkeepError } from '../errors/ColdkeepError';
import { coldkeepConfigDir } from '../state/configDir';
import type { SecretStore } from './secretStore';

/**
 * The CLI's secret store: one JSON file readable by its owner only (0600, in a 0700
 * folder). Writes go to a private temp file that is renamed over the old one, so a crash
 * never leaves a half-written file and the secret is never readable by others, not even
 * for a moment.
 */
export class FileSecretStore implements SecretStore {
  readonly path: string;

  constructor(path: string = join(coldkeepConfigDir(), 'secrets.json')) {
    this.path = path;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.readAll())[key];
  }

  async set(key: string, value: string): Promise<void> {
    const all = await this.readAll();
    all[key] = value;
    await this.writeAll(all);
  }

  async delete(key: string): Promise<void> {
    const all = await this.readAll();
    if (!(key in all)) return;
    delete all[key];
    await this.writeAll(all);
  }

  private async readAll(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return Object.fromEntries(
          Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
        );
      }
    } catch {
      // Falls through: a damaged file holds nothing we can use, and is replaced on the next write.
    }
    return {};
  }

  private async writeAll(all: Record<string, string>): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      // The mode given to writeFile is masked by the umask; make sure.
      await chmod(temp, 0o600);
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw new ColdkeepError('Unexpected', `Could not write the secret store ${this.path}.`, {
        hint: `Check that ${dir} is writable by you.`,
        cause: err,
      });
    }
  }
}
