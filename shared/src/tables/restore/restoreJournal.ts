import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { JsonFileStore } from '../../base/state/jsonFileStore';
import { coldkeepConfigDir } from '../../base/state/configDir';

/** What a file written in full added up to, so a resumed restore can count it without reading it again. */
const doneFileSchema = z.object({
  step: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  puts: z.number().int().nonnegative(),
  deletes: z.number().int().nonnegative(),
  delta: z.number().int(),
});
export type JournaledFile = z.infer<typeof doneFileSchema>;

const journalSchema = z.object({
  version: z.literal(1),
  source: z.string(),
  backupId: z.string().optional(),
  target: z.string(),
  startedAt: z.string(),
  /** The target was empty (or missing) when the first run began: the final count is then checked. */
  targetWasEmpty: z.boolean(),
  /** The first run created the target from the saved schema (TTL is re-applied at the end). */
  createdTable: z.boolean(),
  /** Files written in full (every item acknowledged by DynamoDB), by object key. */
  files: z.record(z.string(), doneFileSchema),
});
export type RestoreJournalData = z.infer<typeof journalSchema>;

/** Where restore journals live: `<config dir>/restore-journals/` (see `coldkeepConfigDir`). */
export function defaultJournalDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(coldkeepConfigDir(env), 'restore-journals');
}

/**
 * The journal of one restore (one source backup into one target table), on the local disk so that a
 * killed process finds it again: `--resume` skips the files it lists as written in full. A file is
 * listed only after DynamoDB acknowledged its last item, so a file cut short is simply written again
 * (puts and deletes are idempotent). The journal is removed when the restore succeeds.
 */
export class RestoreJournal {
  private readonly store: JsonFileStore<RestoreJournalData | undefined>;

  constructor(
    readonly path: string,
    private readonly fresh: () => RestoreJournalData,
  ) {
    this.store = new JsonFileStore<RestoreJournalData | undefined>(path, journalSchema.optional(), () => undefined);
  }

  /** The journal of `source` into `target` in `dir` (one file per pair, named by a hash of both). */
  static for(dir: string, source: string, target: string, fresh: () => RestoreJournalData): RestoreJournal {
    const id = createHash('sha256').update(`${source}\n${target}`).digest('hex').slice(0, 32);
    return new RestoreJournal(join(dir, `${id}.json`), fresh);
  }

  /** The journal left by an earlier run, if there is one for this source and target. */
  async read(): Promise<RestoreJournalData | undefined> {
    const data = await this.store.read();
    const expected = this.fresh();
    return data && data.source === expected.source && data.target === expected.target ? data : undefined;
  }

  /** Starts the journal afresh, or keeps `earlier` (a resumed run). */
  async begin(earlier?: RestoreJournalData): Promise<void> {
    await this.store.update(() => earlier ?? this.fresh());
  }

  async markCreatedTable(): Promise<void> {
    await this.store.update((data) => ({ ...(data ?? this.fresh()), createdTable: true }));
  }

  /** Records that every item of `key` was acknowledged. */
  async fileDone(key: string, facts: JournaledFile): Promise<void> {
    await this.store.update((data) => {
      const current = data ?? this.fresh();
      return { ...current, files: { ...current.files, [key]: facts } };
    });
  }

  /** The restore succeeded: nothing is left to resume. */
  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
