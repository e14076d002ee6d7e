import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { ColdkeepError } from '../errors/ColdkeepError';
import { type Exclusive, inProcessQueue } from './folderLock';

/**
 * One JSON document in one file, checked against a schema when read. Writes go to a temp file
 * in the same folder that is renamed over the old one (atomic on every OS Coldkeep runs on), so
 * a reader never sees half a file. Updates run in an exclusive section: by default a queue, so two
 * updates in one process never lose each other's change; give a cross-process lock (folderLock)
 * when other processes write the file too.
 */
export class JsonFileStore<T> {
  readonly path: string;
  private readonly schema: z.ZodType<T>;
  private readonly empty: () => T;
  private readonly exclusive: Exclusive;

  constructor(path: string, schema: z.ZodType<T>, empty: () => T, options: { exclusive?: Exclusive } = {}) {
    this.path = path;
    this.schema = schema;
    this.empty = empty;
    this.exclusive = options.exclusive ?? inProcessQueue();
  }

  /** The document, or the empty one when the file does not exist yet. */
  async read(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.empty();
      throw new ColdkeepError('Unexpected', `Could not read ${this.path}.`, {
        hint: `Check that it is a file readable by you (${(err as Error).message}).`,
        cause: err,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw this.damaged(err);
    }
    const parsed = this.schema.safeParse(json);
    if (!parsed.success) throw this.damaged(parsed.error);
    return parsed.data;
  }

  /** Reads, applies `change`, writes; changes are applied one after another. Returns what was written. */
  update(change: (current: T) => T | Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const updated = await change(await this.read());
      await this.write(updated);
      return updated;
    });
  }

  /** Replaces the document atomically. Outside `update`, only for a caller already in the exclusive section. */
  async write(value: T): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw new ColdkeepError('Unexpected', `Could not write ${this.path}.`, {
        hint: `Check that ${dir} is writable by you and the disk is not full.`,
        cause: err,
      });
    }
  }

  private damaged(cause: unknown): ColdkeepError {
    return new ColdkeepError('InvalidInput', `${this.path} is damaged and cannot be read.`, {
      hint: 'Fix the file by hand, or move it away to start afresh (schedules and history in it are then lost).',
      cause,
    });
  }
}
