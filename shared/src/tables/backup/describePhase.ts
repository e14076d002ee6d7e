import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { newBackupId } from '../../storage/backupId';
import { normalizePrefix } from '../../storage/bucketKeys';
import { checkBucket } from '../../storage/checkBucket';
import { describeTable } from '../source/describeTable';
import { accountFromArn, type TableSchema } from '../source/tableSchema';
import type { BackupProgress, BackupTableInput } from './backupReport';
import { progressCopy, type TableBackupRun } from './backupRun';
import {
  chooseEngine,
  DEFAULT_AUTO_THRESHOLD_BYTES,
  describePitr,
  type EngineDecision,
  type PitrState,
} from './chooseEngine';

/**
 * Phase "describe": refuses what cannot be backed up, describes the table and checks the bucket
 * (together), chooses the engine and names the backup.
 */
export async function describeSource(
  clients: AwsClients,
  input: BackupTableInput,
  { signal, onProgress }: JobOptions<BackupProgress>,
): Promise<TableBackupRun> {
  const now = input.now ?? (() => new Date());
  const started = now();
  throwIfAborted(signal);
  if (!input.bucket) {
    throw new ColdkeepError('InvalidInput', 'No bucket was given for the backup.', {
      hint: 'Give the bucket ({setting:bucket}).',
    });
  }
  const progress = startProgress(input.table);
  const emit = (): void => onProgress?.(progressCopy(progress));
  emit();

  if (input.objectLock && !(input.objectLock.retainUntil.getTime() > started.getTime())) {
    throw new ColdkeepError(
      'InvalidInput',
      `Object Lock retain-until ${input.objectLock.retainUntil.toISOString()} is not in the future.`,
      { hint: 'Give a later date in {setting:lockUntil}, or {setting:lockDays=N}.' },
    );
  }
  const [schema] = await Promise.all([
    describeTable(clients.dynamodb, input.table, signal),
    checkBucket(clients.s3, input.bucket, signal),
  ]);
  const { decision, pitr } = await decideEngine(clients, input, schema, signal);
  if (input.at && decision.engine !== 'export') {
    throw new ColdkeepError(
      'InvalidInput',
      '--at picks a point in time for the export engine; a scan reads the table as it is now.',
      {
        hint: 'Use {setting:engine=export} (needs point-in-time recovery), or leave out {setting:at}.',
      },
    );
  }
  const location = {
    bucket: input.bucket,
    prefix: normalizePrefix(input.prefix),
    account: accountFromArn(schema.tableArn) ?? 'unknown-account',
    region: clients.region,
    table: input.table,
    backupId: newBackupId(started),
  };
  return { clients, input, signal, now, started, schema, decision, pitr, location, progress, emit };
}

function startProgress(table: string): BackupProgress {
  return {
    phase: 'describe',
    table,
    items: 0,
    estimatedItems: 0,
    uncompressedBytes: 0,
    totalSegments: 0,
    segments: [],
    throttledRequests: 0,
    consumedReadUnits: 0,
  };
}

/**
 * The engine, and the PITR state when it was needed to decide. PITR is read only when the
 * export is asked for or could be chosen, so a small table's backup makes no extra call; a
 * denied read under auto falls back to the scan (the scan-only policy stays enough).
 */
async function decideEngine(
  clients: AwsClients,
  input: BackupTableInput,
  schema: TableSchema,
  signal: AbortSignal | undefined,
): Promise<{ decision: EngineDecision; pitr?: PitrState }> {
  const choice = input.engine ?? 'auto';
  const threshold = input.autoThresholdBytes ?? DEFAULT_AUTO_THRESHOLD_BYTES;
  const options = { thresholdBytes: threshold, incremental: input.incremental ?? false };
  const needsPitr =
    choice === 'export' || input.incremental || (choice === 'auto' && schema.approximateSizeBytes > threshold);
  if (!needsPitr) return { decision: chooseEngine(choice, schema, { enabled: false }, options) };
  try {
    const pitr = await describePitr(clients.dynamodb, input.table, signal);
    return { decision: chooseEngine(choice, schema, pitr, options), pitr };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (choice !== 'auto' || input.incremental || (code !== 'AccessDenied' && code !== 'PitrDisabled')) throw err;
    if (code === 'PitrDisabled') {
      return {
        decision: {
          engine: 'scan',
          reason: `the table is above the auto threshold, but ${(err as Error).message.replace(/^This/, 'this')} So it is scanned`,
        },
      };
    }
    return {
      decision: {
        engine: 'scan',
        reason:
          'the table is above the auto threshold, but its point-in-time recovery setting could not be read (AccessDenied), so it is scanned',
        advice:
          'Grant dynamodb:DescribeContinuousBackups ("coldkeep policy generate --operations backup-table-export") to let auto choose the export.',
      },
    };
  }
}
