import { DescribeContinuousBackupsCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import type { TableSchema } from '../source/tableSchema';

/** Who reads the table: Coldkeep's own segmented scan, or DynamoDB's managed export. */
export type BackupEngine = 'scan' | 'export';
export type EngineChoice = BackupEngine | 'auto';

/** Above this size `auto` hands a table to the managed export (when PITR allows it). */
export const DEFAULT_AUTO_THRESHOLD_BYTES = 10 * 1024 ** 3;

export interface PitrState {
  enabled: boolean;
  earliest?: Date;
  latest?: Date;
}

export interface EngineDecision {
  engine: BackupEngine;
  /** One sentence: why this engine. */
  reason: string;
  /** Set when the export would have been better but PITR is off: how to turn it on, and its cost. */
  advice?: string;
}

export function enablePitrAdvice(table: string): string {
  return (
    `Turn on point-in-time recovery with "aws dynamodb update-continuous-backups --table-name ${table} ` +
    `--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true". It costs about $0.20 per GB-month ` +
    `of table size (us-east-1; see DynamoDB pricing for your region); exports then cost about $0.10 per GB exported ` +
    `and read no table capacity.`
  );
}

/** Reads the table's point-in-time recovery setting (ExportTableToPointInTime needs it on). */
export async function describePitr(client: DynamoDBClient, table: string, signal?: AbortSignal): Promise<PitrState> {
  try {
    const { ContinuousBackupsDescription: d } = await client.send(
      new DescribeContinuousBackupsCommand({ TableName: table }),
      { abortSignal: signal },
    );
    const pitr = d?.PointInTimeRecoveryDescription;
    return {
      enabled: pitr?.PointInTimeRecoveryStatus === 'ENABLED',
      ...(pitr?.EarliestRestorableDateTime ? { earliest: pitr.EarliestRestorableDateTime } : {}),
      ...(pitr?.LatestRestorableDateTime ? { latest: pitr.LatestRestorableDateTime } : {}),
    };
  } catch (err) {
    if ((err as { name?: string }).name === 'UnknownOperationException') {
      // Emulators (dynalite, older LocalStack) serve tables but not backups or exports.
      throw new ColdkeepError(
        'PitrDisabled',
        `This DynamoDB endpoint has no point-in-time recovery (DescribeContinuousBackups is unknown to it), so it cannot export "${table}".`,
        { hint: 'Use {setting:engine=scan}; the export engine needs DynamoDB itself.', cause: err },
      );
    }
    throw fromAwsError(err, { doing: `read the point-in-time recovery setting of ${table}`, table });
  }
}

export function pitrDisabledError(table: string, why: string): ColdkeepError {
  return new ColdkeepError('PitrDisabled', `${why} needs point-in-time recovery, which is off for "${table}".`, {
    hint: `${enablePitrAdvice(table)} Or back up with {setting:engine=scan}.`,
  });
}

/**
 * Picks the engine. `scan` and `export` are taken as asked (export fails without PITR);
 * `auto` exports tables above the threshold when PITR is on, and scans the rest, saying
 * what turning PITR on would change when it is the only thing in the way.
 */
export function chooseEngine(
  choice: EngineChoice,
  schema: TableSchema,
  pitr: PitrState,
  options: { thresholdBytes?: number; incremental?: boolean } = {},
): EngineDecision {
  const table = schema.tableName;
  const threshold = options.thresholdBytes ?? DEFAULT_AUTO_THRESHOLD_BYTES;
  if (options.incremental) {
    if (choice === 'scan') {
      throw new ColdkeepError('InvalidInput', 'An incremental backup is made by the export engine, not by a scan.', {
        hint: 'Use {setting:engine=export} (or auto) with {setting:incremental}.',
      });
    }
    if (!pitr.enabled) throw pitrDisabledError(table, 'An incremental backup (DynamoDB incremental export)');
    return { engine: 'export', reason: 'incremental backups are DynamoDB incremental exports' };
  }
  if (choice === 'export') {
    if (!pitr.enabled) throw pitrDisabledError(table, 'The export engine');
    return { engine: 'export', reason: 'asked for the export engine' };
  }
  if (choice === 'scan') return { engine: 'scan', reason: 'asked for the scan engine' };
  const size = schema.approximateSizeBytes;
  const large = size > threshold;
  if (large && pitr.enabled) {
    return {
      engine: 'export',
      reason: `the table (~${gib(size)}) is above the auto threshold (${gib(threshold)}) and PITR is on`,
    };
  }
  if (large) {
    return {
      engine: 'scan',
      reason: `the table (~${gib(size)}) is above the auto threshold (${gib(threshold)}), but PITR is off, so it is scanned`,
      advice: enablePitrAdvice(table),
    };
  }
  return { engine: 'scan', reason: `the table (~${gib(size)}) is at most the auto threshold (${gib(threshold)})` };
}

function gib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
