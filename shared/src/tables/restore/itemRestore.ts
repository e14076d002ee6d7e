import { readFile } from 'node:fs/promises';
import { DescribeTableCommand, GetItemCommand, PutItemCommand, type TableDescription } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from '../../base/aws/clients';
import { lineItemJson } from '../repository/itemLines';
import { ColdkeepError, isCancelled } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withAftermath } from '../../base/errors/withAftermath';
import { withRetry } from '../../base/jobs/backoff';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { runPool } from '../../base/jobs/pool';
import { CapacityLimiter } from '../source/capacityLimiter';
import { itemFromDynamoJson } from '../source/dynamoJson';
import {
  canonicalKey,
  type KeyAttribute,
  keyAttributes,
  keyOf,
  keyText,
  parseKeysFile,
  parsePlainKey,
} from './itemKeys';
import { planWarnings, restoreTarget } from './planPhase';
import { planRestore, type RestoreSource } from './restorePlan';
import { BatchWriter } from './batchWriter';
import { HashKeyShortcut } from './hashKeyShortcut';
import { assertSameKeys } from './targetTable';
import { thawDataFiles } from './thawPhase';
import type { ThawOptions } from '../../storage/thawArchived';
import { readVerifiedLines } from '../repository/verifiedLines';
import { matchesWhere, parseWhere, type RawItem, type WhereNode } from './whereFilter';

/**
 * What to do with a selected item whose key the target already holds:
 * overwrite (replace it: the user asks for that), skip-existing (leave it: a conditional write
 * puts only items that are absent), fail (write nothing when any selected item is there).
 */
export type ConflictMode = 'overwrite' | 'skip-existing' | 'fail';
export const CONFLICT_MODES: readonly ConflictMode[] = ['overwrite', 'skip-existing', 'fail'];

export interface ItemRestoreInput {
  source: RestoreSource;
  /** An existing table to write into; the backed-up table by default. */
  target?: string;
  /** Keys as plain JSON of the key attributes, e.g. {"pk":"a","sk":1} (--key). */
  keys?: string[];
  /** A file of such keys, one per line (--keys). */
  keysFile?: string;
  /** A filter on the items' attributes (--where); with keys, an item must match both. */
  where?: string;
  /** Default skip-existing: nothing changed or created after the backup is overwritten unless asked. */
  conflict?: ConflictMode;
  /** Verify the files and select the items; write nothing. */
  dryRun?: boolean;
  /** Data files read at once (default 4). */
  fileConcurrency?: number;
  /** PutItem requests in flight (default 16). */
  writeConcurrency?: number;
  writeUnitsPerSecond?: number;
  thaw?: ThawOptions;
}

export type ItemFailureReason = 'exists' | 'invalid';

export interface ItemFailures {
  reason: ItemFailureReason;
  count: number;
  /** The first keys, as plain JSON. */
  keys: string[];
  /** What DynamoDB said (first one). */
  message?: string;
}

export interface ItemRestoreProgress {
  phase: 'plan' | 'thaw' | 'select' | 'check' | 'write';
  target: string;
  filesDone: number;
  filesTotal: number;
  itemsSelected: number;
  written: number;
  skippedExisting: number;
  failed: number;
}

export interface ItemRestoreReport {
  source: string;
  backupId?: string;
  target: string;
  conflict: ConflictMode;
  dryRun: boolean;
  selection: { keys: number; where?: string };
  /** Data files downloaded and verified (checksum and count) before anything was written. */
  filesVerified: number;
  /** Records read from the backup's files. */
  recordsRead: number;
  /** Items of the backup (at the end of its chain) that match the selection. */
  itemsSelected: number;
  /** Acknowledged by DynamoDB. */
  written: number;
  /** Left as they are: the target held an item with the key (skip-existing). */
  skippedExisting: number;
  failed: number;
  failures: ItemFailures[];
  /** Selected items not written because the restore stopped (a failure or a cancel). */
  notAttempted: number;
  /** Keys asked for that the backup does not hold (created after it, or never there). */
  notInBackup: number;
  notInBackupKeys: string[];
  warnings: string[];
  durationMs: number;
}

const SAMPLE = 20;

/**
 * Restores chosen items of a backup into a live table: plan → thaw → download and verify every
 * file (checksum, count) while selecting the items (by key and/or filter; an incremental chain
 * is applied in order, so the selection is the items as of its end) → only then write each one
 * with PutItem, conditional unless the user asked to overwrite. Nothing is written before every
 * file is verified; every count in the report is what DynamoDB acknowledged.
 */
export async function restoreItems(
  clients: AwsClients,
  input: ItemRestoreInput,
  { signal, onProgress }: JobOptions<ItemRestoreProgress> = {},
): Promise<ItemRestoreReport> {
  const startedAt = Date.now();
  const { dynamodb, s3 } = clients;
  const conflict = input.conflict ?? 'skip-existing';
  if (!input.keys?.length && !input.keysFile && !input.where) {
    throw new ColdkeepError('InvalidInput', 'An item restore needs the items to restore.', {
      hint: 'Name the items: {setting:key=JSON} (repeatable; a key as JSON, e.g. {"pk":"a"}), {setting:keys=FILE} (a key per line) or {setting:where="pk = \'a\'"}.',
    });
  }
  const where: WhereNode | undefined = input.where ? parseWhere(input.where) : undefined;
  const plan = await planRestore(s3, input.source, signal);
  const target = restoreTarget(plan, input.target, 'Give the table to restore into: {setting:target=TABLE}.');
  const table = await describeTarget(clients, target, signal);
  if (plan.schema) assertSameKeys(target, table.KeySchema, plan.schema);
  const keyAttrs = keyAttributes(table.KeySchema ?? [], table.AttributeDefinitions ?? []);

  // The keys asked for, by their canonical text.
  const wanted = new Map<string, RawItem>();
  const addKey = (key: RawItem): void => {
    wanted.set(canonicalKey(key, keyAttrs)!, key);
  };
  (input.keys ?? []).forEach((text, i) => addKey(parsePlainKey(text, keyAttrs, `--key #${i + 1}`)));
  if (input.keysFile) {
    const text = await readFile(input.keysFile, 'utf8').catch((err: unknown) => {
      throw new ColdkeepError(
        'InvalidInput',
        `Cannot read the keys file ${input.keysFile}: ${(err as Error).message}.`,
        {
          hint: 'Pass a file of JSON lines, one key per line, e.g. {"pk":"a","sk":1}.',
        },
      );
    });
    for (const key of parseKeysFile(text, keyAttrs, input.keysFile)) addKey(key);
  }
  const byKey = input.keys?.length || input.keysFile ? wanted : undefined;

  const progress: ItemRestoreProgress = {
    phase: 'plan',
    target,
    filesDone: 0,
    filesTotal: plan.files.length,
    itemsSelected: 0,
    written: 0,
    skippedExisting: 0,
    failed: 0,
  };
  const emit = (): void => onProgress?.({ ...progress });
  emit();
  // Unlike the whole-table restores, an item restore gives no region note.
  const warnings = await planWarnings(s3, plan, undefined, signal);
  await thawDataFiles({ clients, signal, plan, target, progress, emit }, input.thaw, { countWaiting: false });

  // Select: the items as of the end of the chain, as DynamoDB JSON text, by canonical key.
  progress.phase = 'select';
  emit();
  const selected = new Map<string, string>();
  let recordsRead = 0;
  for (const step of plan.steps) {
    let stepRecords = 0;
    await runPool(
      step.files,
      input.fileConcurrency ?? 4,
      async (file, poolSignal) => {
        // What this file selects (key → item, or null: not an item to restore) is kept apart
        // until its checksum is proven, then applied; a step holds each key once, so files of
        // one step never disagree.
        let picked = new Map<string, string | null>();
        // By key, most lines are not wanted: their bytes say so without a parse.
        const shortcut = byKey ? HashKeyShortcut.create(keyAttrs, byKey.values()) : undefined;
        const read = await readVerifiedLines(
          s3,
          plan.bucket,
          file,
          () => {
            picked = new Map();
          },
          (buf, from, to, lineNumber) => {
            if (shortcut?.skip(buf, from, to)) return;
            select(buf.subarray(from, to), file.key, lineNumber, picked);
          },
          poolSignal,
        );
        if (file.items !== undefined && read !== file.items) {
          throw new ColdkeepError(
            'CountMismatch',
            `${file.key} holds ${read} records, its manifest says ${file.items}; nothing was written.`,
            { hint: 'The backup is inconsistent; restore from another one.' },
          );
        }
        for (const [key, text] of picked) {
          if (text === null) selected.delete(key);
          else selected.set(key, text);
        }
        stepRecords += read;
        progress.filesDone++;
        progress.itemsSelected = selected.size;
        emit();
      },
      signal,
    );
    if (step.itemCount !== undefined && stepRecords !== step.itemCount) {
      throw new ColdkeepError(
        'CountMismatch',
        `The files of ${step.uri} hold ${stepRecords} records, its manifest says ${step.itemCount}; nothing was written.`,
        { hint: 'The backup is inconsistent; restore from another one.' },
      );
    }
    recordsRead += stepRecords;
  }
  throwIfAborted(signal);

  function select(line: Buffer, fileKey: string, lineNumber: number, picked: Map<string, string | null>): void {
    const at = `${fileKey}:${lineNumber}`;
    const itemJson = lineItemJson(line);
    let record: Record<string, RawItem | undefined>;
    try {
      record = itemJson
        ? { Item: JSON.parse(itemJson.toString('utf8')) as RawItem }
        : (JSON.parse(line.toString('utf8')) as Record<string, RawItem | undefined>);
    } catch (err) {
      throw new ColdkeepError('ManifestInvalid', `Line ${at} is not valid JSON; nothing was written.`, {
        hint: 'The data file is damaged; its checksum should have caught this, so please report it.',
        cause: err,
      });
    }
    const item = record.Item ?? record.NewImage;
    const keyItem = item ?? record.Keys;
    const key = keyItem ? canonicalKey(keyItem, keyAttrs) : undefined;
    if (!key) {
      throw new ColdkeepError(
        'ManifestInvalid',
        `Line ${at} holds no item with the table's key; nothing was written.`,
        {
          hint: 'The backup is not of a table keyed like the target; restore into a table with the same keys.',
        },
      );
    }
    if (byKey && !byKey.has(key)) return;
    if (item && (!where || matchesWhere(where, item))) {
      picked.set(key, itemJson ? itemJson.toString('utf8') : JSON.stringify(item));
    } else if (selected.has(key)) {
      // Deleted by a later step, or changed so that it no longer matches: not an item to restore.
      picked.set(key, null);
    }
  }

  const notInBackup = byKey ? [...byKey.entries()].filter(([k]) => !selected.has(k)).map(([, key]) => key) : [];
  const report: ItemRestoreReport = {
    source: plan.uri,
    ...(plan.backupId ? { backupId: plan.backupId } : {}),
    target,
    conflict,
    dryRun: input.dryRun ?? false,
    selection: { keys: wanted.size, ...(input.where ? { where: input.where } : {}) },
    filesVerified: plan.files.length,
    recordsRead,
    itemsSelected: selected.size,
    written: 0,
    skippedExisting: 0,
    failed: 0,
    failures: [],
    notAttempted: selected.size,
    notInBackup: notInBackup.length,
    notInBackupKeys: notInBackup.slice(0, SAMPLE).map((k) => keyText(k, keyAttrs)),
    warnings,
    durationMs: 0,
  };
  const finish = (): ItemRestoreReport => ({ ...report, durationMs: Date.now() - startedAt });
  if (selected.size === 0) warnings.push('No item of the backup matches the selection; nothing was written.');
  if (input.dryRun || selected.size === 0) return finish();

  // Overwrite sends the items' text as it is; the conditional modes need them as objects.
  const items = conflict === 'overwrite' ? [] : [...selected.values()].map((text) => JSON.parse(text) as RawItem);
  if (conflict === 'fail') {
    progress.phase = 'check';
    emit();
    const existing = await existingKeys(clients, target, items, keyAttrs, signal);
    if (existing.length) {
      throw new ColdkeepError(
        'ItemsExist',
        `${existing.length} of the ${items.length} selected item(s) already exist in "${target}" (${existing
          .slice(0, 5)
          .join(', ')}${existing.length > 5 ? ', …' : ''}); nothing was written.`,
        {
          hint: 'Use {setting:conflict=skip-existing} to restore only the missing ones, or {setting:conflict=overwrite} to replace them with the backed-up version.',
          details: { itemRestore: { ...finish(), existing: existing.length, existingKeys: existing.slice(0, SAMPLE) } },
        },
      );
    }
  }

  progress.phase = 'write';
  emit();
  const budget = input.writeUnitsPerSecond;
  const limiter = budget ? new CapacityLimiter(budget) : undefined;
  const failures = new Map<ItemFailureReason, ItemFailures>();
  const fail = (reason: ItemFailureReason, item: RawItem, message?: string): void => {
    const entry = failures.get(reason) ?? { reason, count: 0, keys: [], ...(message ? { message } : {}) };
    entry.count++;
    if (entry.keys.length < SAMPLE) entry.keys.push(keyText(item, keyAttrs));
    failures.set(reason, entry);
    report.failed++;
  };
  let stop: unknown;
  let next = 0;
  // Requests are not aborted once sent (a cancel or a failure stops new ones): each one settles,
  // so the counts are exactly what DynamoDB acknowledged.
  const worker = async (): Promise<void> => {
    while (next < items.length && stop === undefined && !signal?.aborted) {
      const item = items[next++]!;
      report.notAttempted--;
      try {
        await putOne(item);
        report.written++;
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'ConditionalCheckFailedException') {
          // skip-existing: the key is there (changed or created after the backup): leave it.
          // fail: it was created between the check and the write.
          if (conflict === 'skip-existing') report.skippedExisting++;
          else fail('exists', item);
        } else if (name === 'ValidationException') {
          fail('invalid', item, (err as Error).message);
        } else {
          report.notAttempted++;
          stop ??= err;
        }
      }
      progress.written = report.written;
      progress.skippedExisting = report.skippedExisting;
      progress.failed = report.failed;
      emit();
    }
  };
  const putOne = async (item: RawItem): Promise<void> => {
    await limiter?.acquire(signal);
    const answer = await withRetry(
      () =>
        dynamodb.send(
          new PutItemCommand({
            TableName: target,
            Item: itemFromDynamoJson(item as Record<string, Record<string, unknown>>),
            ...(conflict === 'overwrite'
              ? {}
              : {
                  ConditionExpression: 'attribute_not_exists(#k)',
                  ExpressionAttributeNames: { '#k': keyAttrs[0]!.name },
                }),
            ...(limiter ? { ReturnConsumedCapacity: 'TOTAL' } : {}),
          }),
        ),
      {},
    );
    limiter?.consume(answer.ConsumedCapacity?.CapacityUnits ?? 1);
  };
  if (conflict === 'overwrite') {
    // Unconditional: BatchWriteItem, 25 items a request, as a whole-table restore writes; its
    // count is what DynamoDB acknowledged (unprocessed items are sent again).
    const writer = new BatchWriter(dynamodb, {
      table: target,
      maxInFlight: Math.max(1, Math.ceil((input.writeConcurrency ?? 16) / 4)),
      limiter,
      onWritten: (n) => {
        report.written += n;
        progress.written = report.written;
        emit();
      },
    });
    try {
      for (const text of selected.values()) {
        if (signal?.aborted) break;
        await writer.putJson(Buffer.from(text));
      }
      await writer.flush();
    } catch (err) {
      stop = err;
      await writer.settle();
    }
    report.notAttempted = selected.size - report.written;
  } else {
    await Promise.all(Array.from({ length: Math.max(1, input.writeConcurrency ?? 16) }, worker));
  }
  report.failures = [...failures.values()];
  const summary =
    `${report.written} item(s) written to "${target}", ${report.skippedExisting} skipped as existing, ` +
    `${report.failed} failed${report.failures.map((f) => ` (${f.reason}: ${f.count})`).join('')}, ` +
    `${report.notAttempted} not attempted` +
    (report.notInBackup ? `; ${report.notInBackup} key(s) asked for are not in the backup` : '') +
    '.';
  if (stop !== undefined || signal?.aborted) {
    const cause = stop ?? signal?.reason;
    throw withAftermath(
      isCancelled(cause) ? cause : fromAwsError(cause, { doing: `write items to ${target}`, table: target }),
      {
        job: `Item restore into ${target}`,
        summary,
        details: { itemRestore: finish() },
        fallbackCode: 'RestoreFailed',
        fallbackHint:
          'Fix the cause and run the same command again: with skip-existing, the items already written are skipped.',
      },
    );
  }
  if (report.failed > 0) {
    throw new ColdkeepError('ItemsNotRestored', `Item restore into ${target}: ${summary}`, {
      hint:
        conflict === 'fail'
          ? 'Items were created meanwhile by someone else; run again with {setting:conflict=skip-existing} or {setting:conflict=overwrite}.'
          : "The failures name their keys and DynamoDB's message; fix those items or restore them another way.",
      details: { itemRestore: finish() },
    });
  }
  return finish();
}

/**
 * The shortcut of a selection by key, line by line: true when `line` is certainly not an item
 * with one of the wanted hash keys (see HashKeyShortcut for when it can say so); false: parse it.
 */
export function hashKeyPrefilter(hash: KeyAttribute, keys: Iterable<RawItem>): ((line: Buffer) => boolean) | undefined {
  const shortcut = HashKeyShortcut.create([hash], keys);
  if (!shortcut) return undefined;
  return (line) => shortcut.skip(line, 0, line.length);
}

async function describeTarget(clients: AwsClients, target: string, signal?: AbortSignal): Promise<TableDescription> {
  try {
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: target }), {
      abortSignal: signal,
    });
    return Table ?? {};
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') {
      throw new ColdkeepError('NoSuchTable', `Table "${target}" does not exist; nothing was written.`, {
        hint: 'An item restore writes into an existing table. To restore a whole backup into a new table, leave out {setting:key}, {setting:keys} and {setting:where}.',
      });
    }
    throw fromAwsError(err, { doing: `inspect table ${target}`, table: target });
  }
}

/** The selected items whose key the target already holds (consistent GetItem of the key only). */
async function existingKeys(
  clients: AwsClients,
  target: string,
  items: RawItem[],
  keys: KeyAttribute[],
  signal?: AbortSignal,
): Promise<string[]> {
  const existing: string[] = [];
  await runPool(
    items,
    16,
    async (item, poolSignal) => {
      const answer = await withRetry(
        () =>
          clients.dynamodb.send(
            new GetItemCommand({
              TableName: target,
              Key: itemFromDynamoJson(keyOf(item, keys) as Record<string, Record<string, unknown>>),
              ConsistentRead: true,
              ProjectionExpression: '#k',
              ExpressionAttributeNames: { '#k': keys[0]!.name },
            }),
            { abortSignal: poolSignal },
          ),
        { signal: poolSignal },
      ).catch((err: unknown) => {
        throw fromAwsError(err, { doing: `read items of ${target}`, table: target });
      });
      if (answer.Item) existing.push(keyText(item, keys));
    },
    signal,
  );
  return existing.sort();
}
