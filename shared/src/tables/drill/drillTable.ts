import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { downloadVerified, readChanges } from '../repository/verifiedDownload';
import type { Item } from '../source/dynamoJson';
import { importRestore } from '../restore/importRestore';
import { type KeyAttribute, keyAttributes } from '../restore/itemKeys';
import { planRestore, type RestorePlan } from '../restore/restorePlan';
import type { RestoreEngine, RestoreProgress, RestoreReport } from '../restore/restoreReport';
import { restoreTable } from '../restore/restoreTable';
import { itemDigest, itemKey, keyLabel } from './itemCompare';
import {
  createScratchTable,
  deleteScratchTable,
  scratchSchema,
  scratchTableName,
  scratchTags,
  tagScratchTable,
} from './scratchTable';

export interface DrillTableInput {
  table: string;
  bucket: string;
  prefix?: string;
  /** The backup to drill: an id, or "latest" (default). */
  backupId?: string;
  /** write (default): Coldkeep's restore (BatchWriteItem); import: DynamoDB's ImportTable. */
  engine?: RestoreEngine;
  /** Leave the scratch table in place afterwards (default: it is deleted on every way out). */
  keep?: boolean;
  /** Mismatches named in the report, with their keys (default 10); all are counted. */
  mismatchLimit?: number;
  /** import: how often to poll DescribeImport (default 15 s). */
  pollIntervalMs?: number;
  /** Where the restore stages and the compare reads the backup's files (default: the system's temp folder). */
  stagingDir?: string;
}

export interface DrillTableProgress {
  phase: 'plan' | 'create' | 'restore' | 'compare' | 'cleanup';
  scratchTable?: string;
  restore?: RestoreProgress;
  itemsCompared?: number;
}

/** changed: same key, other content; missing: in the backup, not in the table; unexpected: the other way. */
export type DrillMismatchKind = 'changed' | 'missing' | 'unexpected';

export interface DrillMismatch {
  kind: DrillMismatchKind;
  /** The item's key as plain JSON, e.g. {"pk":"c7"}. */
  key: string;
}

export interface DrillTableReport {
  kind: 'table';
  table: string;
  backupId?: string;
  /** s3:// URI of the backup drilled. */
  source: string;
  engine: RestoreEngine;
  scratchTable: string;
  /** succeeded: the scratch table holds exactly what the backup's files say; failed: it does not. */
  status: 'succeeded' | 'failed';
  /** Items the backup's manifest(s) say it holds (a chain: the lines of every step). */
  itemsExpected?: number;
  /** Items the backup's files give once applied in order (a chain: after its puts and deletes). */
  itemsInBackup: number;
  /** Items the scratch table held when it was read back. */
  itemsInTable: number;
  /** Items read from the table and matched against the backup's. */
  itemsCompared: number;
  /** Every mismatch counted; the first `mismatchLimit` named in `firstMismatches`. */
  mismatches: number;
  firstMismatches: DrillMismatch[];
  /** One line per problem (the count against the manifest, the mismatches). */
  problems: string[];
  /** Milliseconds from the drill's start to a readable table holding the whole backup: the measured restore time. */
  restoreMs: number;
  compareMs: number;
  /** The scratch table was deleted (false: kept on request, or the delete failed; see `warnings`). */
  scratchDeleted: boolean;
  warnings: string[];
  startedAt: string;
  durationMs: number;
}

/**
 * A restore drill of a table backup: restores it (the latest, or a given one) into a scratch
 * table, on demand and tagged, then reads the table back and compares it item by item with the
 * backup's own files (read and checksummed again, chains applied in order), and the count with
 * the manifest. The time from the start to a readable, loaded table is the measured restore
 * time. The scratch table is deleted on every way out (success, mismatch, failure, cancel)
 * unless `keep`; what could not be deleted is said by name.
 */
export async function drillTable(
  clients: AwsClients,
  input: DrillTableInput,
  { signal, onProgress }: JobOptions<DrillTableProgress> = {},
): Promise<DrillTableReport> {
  const started = new Date();
  const engine = input.engine ?? 'write';
  const progress: DrillTableProgress = { phase: 'plan' };
  const emit = (): void => onProgress?.({ ...progress });
  emit();
  const plan = await planRestore(
    clients.s3,
    {
      bucket: input.bucket,
      table: input.table,
      backupId: input.backupId ?? 'latest',
      ...(input.prefix !== undefined ? { prefix: input.prefix } : {}),
    },
    signal,
  );
  if (!plan.schema) {
    throw new ColdkeepError(
      'InvalidInput',
      `The backup at ${plan.uri} carries no schema to make a scratch table from.`,
      {
        hint: 'Drill a Coldkeep backup of the table.',
      },
    );
  }
  const schema = plan.schema;
  const keys = keyAttributes(schema.keySchema, schema.attributeDefinitions);
  const scratch = scratchTableName(input.table, started);
  const tags = scratchTags(input.table, plan.backupId);
  progress.scratchTable = scratch;
  const workDir = await mkdtemp(join(input.stagingDir ?? tmpdir(), 'coldkeep-drill-'));
  const warnings: string[] = [];
  let restoreMs: number;
  let scratchDeleted = false;
  try {
    let report: RestoreReport;
    const onRestore = (p: RestoreProgress): void => {
      progress.phase = 'restore';
      progress.restore = p;
      emit();
    };
    if (engine === 'import') {
      // ImportTable makes the table itself: from the scratch schema, then tagged once it exists.
      report = await importRestore(
        clients,
        { ...plan, schema: scratchSchema(schema) },
        {
          source: { uri: plan.uri },
          target: scratch,
          engine: 'import',
          ...(input.pollIntervalMs !== undefined ? { pollIntervalMs: input.pollIntervalMs } : {}),
        },
        { ...(signal ? { signal } : {}), onProgress: onRestore },
      );
      restoreMs = Date.now() - started.getTime();
      await tagScratchTable(clients.dynamodb, scratch, tags);
    } else {
      progress.phase = 'create';
      emit();
      await createScratchTable(clients.dynamodb, schema, scratch, tags, signal);
      report = await restoreTable(
        clients,
        {
          // The exact backup planned above: a newer "latest" made meanwhile does not change the drill.
          source: { uri: plan.uri },
          target: scratch,
          createTable: false,
          stagingDir: workDir,
          journalDir: join(workDir, 'journal'),
        },
        { ...(signal ? { signal } : {}), onProgress: onRestore },
      );
      restoreMs = Date.now() - started.getTime();
    }
    warnings.push(...report.warnings);
    throwIfAborted(signal);

    progress.phase = 'compare';
    progress.itemsCompared = 0;
    emit();
    const compareStart = Date.now();
    const expected = await backupItems(clients, plan, keys, workDir, signal);
    const found = await compareWithTable(clients, scratch, keys, expected, input.mismatchLimit ?? 10, signal, (n) => {
      progress.itemsCompared = n;
      emit();
    });
    const compareMs = Date.now() - compareStart;

    const problems: string[] = [];
    // The count the manifest gives is exact for a full backup; a chain's lines are not its items.
    const exact = plan.steps.length === 1;
    if (exact && plan.itemCount !== undefined && found.itemsInTable !== plan.itemCount) {
      problems.push(
        `The scratch table holds ${found.itemsInTable} items; the backup's manifest says ${plan.itemCount}.`,
      );
    }
    if (found.mismatches) {
      problems.push(
        `${found.mismatches} item(s) differ from the backup's files: ` +
          found.first.map((m) => `${m.key} (${m.kind})`).join(', ') +
          (found.mismatches > found.first.length ? ', …' : '') +
          '.',
      );
    }
    progress.phase = 'cleanup';
    emit();
    scratchDeleted = await cleanUp(clients, scratch, input.keep, warnings);
    return {
      kind: 'table',
      table: input.table,
      ...(plan.backupId ? { backupId: plan.backupId } : {}),
      source: plan.uri,
      engine,
      scratchTable: scratch,
      status: problems.length ? 'failed' : 'succeeded',
      ...(plan.itemCount !== undefined ? { itemsExpected: plan.itemCount } : {}),
      itemsInBackup: expected.size,
      itemsInTable: found.itemsInTable,
      itemsCompared: found.itemsInTable,
      mismatches: found.mismatches,
      firstMismatches: found.first,
      problems,
      restoreMs,
      compareMs,
      scratchDeleted,
      warnings,
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
    };
  } catch (err) {
    const kept: string[] = [];
    if (!scratchDeleted) scratchDeleted = await cleanUp(clients, scratch, input.keep, kept);
    throw withAftermath(err, {
      job: `Drill of ${input.table}`,
      summary: scratchDeleted
        ? `The scratch table ${scratch} was deleted.`
        : input.keep
          ? `The scratch table ${scratch} was kept, as asked.`
          : `${kept.join(' ')}`,
      details: { scratchTable: scratch, scratchDeleted, ...(plan.backupId ? { backupId: plan.backupId } : {}) },
      fallbackCode: 'DrillFailed',
      fallbackHint: 'Fix the cause and drill again; a drill never touches the source table.',
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function cleanUp(clients: AwsClients, scratch: string, keep: boolean | undefined, warnings: string[]) {
  if (keep) {
    warnings.push(`The scratch table ${scratch} was kept, as asked: delete it when done (it is billed on demand).`);
    return false;
  }
  const deleted = await deleteScratchTable(clients.dynamodb, scratch);
  if (deleted === true) return true;
  warnings.push(`The scratch table ${scratch} could not be deleted (${deleted}): delete it by hand.`);
  return false;
}

/** What the table must hold, key → content digest, from the backup's files read (and proven) again, steps in order. */
async function backupItems(
  clients: AwsClients,
  plan: RestorePlan,
  keys: KeyAttribute[],
  workDir: string,
  signal?: AbortSignal,
): Promise<Map<string, { digest: string; label: string }>> {
  const items = new Map<string, { digest: string; label: string }>();
  let n = 0;
  for (const step of plan.steps) {
    for (const file of step.files) {
      throwIfAborted(signal);
      const path = join(workDir, `compare-${n++}.json.gz`);
      await downloadVerified(clients.s3, plan.bucket, file, path, signal);
      for await (const change of readChanges(path, file.key)) {
        const item: Item = change.type === 'put' ? change.item : change.key;
        const key = itemKey(item, keys);
        if (key === undefined) continue;
        if (change.type === 'put') items.set(key, { digest: itemDigest(item), label: keyLabel(item, keys) });
        else items.delete(key);
      }
      await rm(path, { force: true });
    }
  }
  return items;
}

async function compareWithTable(
  clients: AwsClients,
  table: string,
  keys: KeyAttribute[],
  expected: Map<string, { digest: string; label: string }>,
  limit: number,
  signal: AbortSignal | undefined,
  onCompared: (n: number) => void,
): Promise<{ itemsInTable: number; mismatches: number; first: DrillMismatch[] }> {
  const seen = new Set<string>();
  const first: DrillMismatch[] = [];
  let mismatches = 0;
  let itemsInTable = 0;
  const mismatch = (kind: DrillMismatchKind, key: string): void => {
    mismatches++;
    if (first.length < limit) first.push({ kind, key });
  };
  let start: Item | undefined;
  do {
    let page;
    try {
      page = await clients.dynamodb.send(
        new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
        { abortSignal: signal },
      );
    } catch (err) {
      throw fromAwsError(err, { doing: `read back the scratch table ${table}`, table });
    }
    for (const item of page.Items ?? []) {
      itemsInTable++;
      const key = itemKey(item, keys) ?? '';
      const want = expected.get(key);
      if (!want) mismatch('unexpected', keyLabel(item, keys));
      else if (want.digest !== itemDigest(item)) mismatch('changed', want.label);
      seen.add(key);
    }
    onCompared(itemsInTable);
    start = page.LastEvaluatedKey;
  } while (start);
  for (const [key, want] of expected) if (!seen.has(key)) mismatch('missing', want.label);
  return { itemsInTable, mismatches, first };
}
