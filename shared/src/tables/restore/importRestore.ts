import {
  DescribeImportCommand,
  type ImportTableDescription,
  ImportTableCommand,
  type ImportTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, sleep, throwIfAborted } from '../../base/jobs/job';
import type { TableSchema } from '../source/tableSchema';
import { type PlannedFile, regionNote, type RestorePlan } from './restorePlan';
import type { ImportFacts, RestoreProgress, RestoreReport, RestoreTableInput } from './restoreReport';
import { applyTtl, createTableInput, inspectTarget } from './targetTable';
import { firstProgress, restoreTarget } from './planPhase';
import { thawDataFiles } from './thawPhase';

const DEFAULT_POLL_MS = 15_000;

/** The longest folder prefix the data files share: the S3KeyPrefix ImportTable reads. */
export function importKeyPrefix(files: PlannedFile[]): string {
  const dirs = files.map((f) => f.key.slice(0, f.key.lastIndexOf('/') + 1));
  let prefix = dirs[0] ?? '';
  for (const d of dirs)
    while (!d.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
  return prefix;
}

/** ImportTable's TableCreationParameters from the saved schema (keys, GSIs, billing mode, SSE). */
export function importTableInput(
  schema: TableSchema,
  target: string,
  bucket: string,
  keyPrefix: string,
  token: string,
): ImportTableCommandInput {
  const create = createTableInput(schema, target);
  return {
    ClientToken: token,
    S3BucketSource: { S3Bucket: bucket, S3KeyPrefix: keyPrefix },
    InputFormat: 'DYNAMODB_JSON',
    InputCompressionType: 'GZIP',
    TableCreationParameters: {
      TableName: target,
      KeySchema: create.KeySchema,
      AttributeDefinitions: create.AttributeDefinitions,
      BillingMode: create.BillingMode,
      ...(create.ProvisionedThroughput ? { ProvisionedThroughput: create.ProvisionedThroughput } : {}),
      ...(create.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: create.GlobalSecondaryIndexes } : {}),
      ...(create.SSESpecification ? { SSESpecification: create.SSESpecification } : {}),
    },
  };
}

function facts(d: ImportTableDescription | undefined): ImportFacts {
  return {
    importArn: d?.ImportArn ?? '',
    status: d?.ImportStatus ?? '?',
    processedItems: d?.ProcessedItemCount ?? 0,
    importedItems: d?.ImportedItemCount ?? 0,
    errorCount: d?.ErrorCount ?? 0,
    ...(d?.CloudWatchLogGroupArn ? { cloudWatchLogGroupArn: d.CloudWatchLogGroupArn } : {}),
  };
}

function whereLogged(f: ImportFacts): string {
  return f.cloudWatchLogGroupArn
    ? `DynamoDB logged each failed item in the CloudWatch log group ${f.cloudWatchLogGroupArn}.`
    : 'DynamoDB logs failed items in CloudWatch Logs under /aws-dynamodb/imports.';
}

/**
 * Restores a full backup into a NEW table with DynamoDB's ImportTable: AWS creates the table
 * from the saved key schema, GSIs and billing mode and loads the data files without using
 * write capacity. Coldkeep polls DescribeImport, reports failed items and where AWS logged
 * them, and checks the imported count against the manifest.
 */
export async function importRestore(
  clients: AwsClients,
  plan: RestorePlan,
  input: RestoreTableInput,
  { signal, onProgress }: JobOptions<RestoreProgress> = {},
): Promise<RestoreReport> {
  const startedAt = Date.now();
  const refuse = (message: string, hint: string): never => {
    throw new ColdkeepError('InvalidInput', `${message} Nothing was imported.`, { hint });
  };
  if (!plan.schema)
    refuse(
      'A DynamoDB export carries no schema, and ImportTable needs one.',
      'Restore it with {setting:engine=write} into a table you created.',
    );
  const schema = plan.schema!;
  if (plan.steps.length !== 1 || plan.steps[0]!.kind !== 'full') {
    refuse(
      `${plan.backupId ?? plan.uri} is an incremental backup; ImportTable loads one full backup.`,
      `Restore the chain with {setting:engine=write}, or import its full backup ${plan.steps[0]?.backupId ?? ''} and apply the rest with {setting:engine=write} and {setting:overwrite}.`,
    );
  }
  if (schema.localSecondaryIndexes.length) {
    refuse(
      'The table has local secondary indexes, which ImportTable cannot create.',
      'Restore with {setting:engine=write}: it creates the table with its LSIs.',
    );
  }
  if (input.dryRun)
    refuse(
      '--dry-run verifies files by downloading them; ImportTable does not.',
      'Use {setting:engine=write} with {setting:dryRun} to verify the backup.',
    );
  const target = restoreTarget(
    plan,
    input.target,
    'Give the table to import into ({setting:target}).',
    ' Nothing was imported.',
  );
  if ((await inspectTarget(clients.dynamodb, target, signal)).exists) {
    throw new ColdkeepError(
      'TableExists',
      `Table "${target}" exists; ImportTable only creates new tables. Nothing was imported.`,
      {
        hint: 'Import into a new table ({setting:target=NEW_NAME}), or restore into the existing one with {setting:engine=write} and {setting:overwrite}.',
      },
    );
  }

  const progress = firstProgress(plan, target, 'thaw');
  const emit = (): void => onProgress?.({ ...progress });
  // ImportTable cannot read archived objects: bring them back first, like any restore.
  await thawDataFiles({ clients, signal, plan, target, progress, emit }, input.thaw, { countWaiting: true });
  throwIfAborted(signal);

  const keyPrefix = importKeyPrefix(plan.files);
  const token = createHash('sha256').update(`${plan.uri}\n${target}`).digest('hex').slice(0, 32);
  let description: ImportTableDescription | undefined;
  try {
    description = (
      await clients.dynamodb.send(
        new ImportTableCommand(importTableInput(schema, target, plan.bucket, keyPrefix, token)),
        {
          abortSignal: signal,
        },
      )
    ).ImportTableDescription;
  } catch (err) {
    throw fromAwsError(err, { doing: `start the import into ${target}`, table: target });
  }
  progress.phase = 'import';
  progress.importStatus = description?.ImportStatus ?? 'IN_PROGRESS';
  emit();

  const importArn = description?.ImportArn ?? '';
  try {
    while (description?.ImportStatus === 'IN_PROGRESS' || description?.ImportStatus === 'CANCELLING') {
      await sleep(input.pollIntervalMs ?? DEFAULT_POLL_MS, signal);
      try {
        description = (
          await clients.dynamodb.send(new DescribeImportCommand({ ImportArn: importArn }), { abortSignal: signal })
        ).ImportTableDescription;
      } catch (err) {
        throw fromAwsError(err, { doing: `follow the import ${importArn}`, table: target });
      }
      const f = facts(description);
      progress.importStatus = f.status;
      progress.itemsWritten = f.importedItems;
      emit();
    }
  } catch (err) {
    throw withAftermath(err, {
      job: `Import into ${target}`,
      summary: `DynamoDB's import ${importArn} keeps running in AWS and creates table "${target}"; delete that table if you do not want it.`,
      details: { importArn, target },
      fallbackCode: 'ImportFailed',
      fallbackHint: 'Follow it with "aws dynamodb describe-import --import-arn ARN".',
    });
  }
  const result = facts(description);
  if (result.status !== 'COMPLETED') {
    throw new ColdkeepError(
      'ImportFailed',
      `DynamoDB's import into "${target}" ended ${result.status}: ${description?.FailureCode ?? 'no code'}: ${description?.FailureMessage ?? 'no message'}. ${whereLogged(result)}`,
      {
        hint: 'Check that DynamoDB may read the backup (s3:GetObject and s3:ListBucket on the prefix, kms:Decrypt for SSE-KMS) and may write its logs; then delete the half-made table and import again.',
        details: { import: result, keyPrefix },
      },
    );
  }
  if (result.errorCount > 0) {
    throw new ColdkeepError(
      'ImportFailed',
      `DynamoDB imported ${result.importedItems} items into "${target}", but ${result.errorCount} could not be imported. ${whereLogged(result)}`,
      {
        hint: 'Read the log group for the reason per item, fix the cause, delete the table and import again.',
        details: { import: result },
      },
    );
  }
  if (plan.itemCount !== undefined && result.importedItems !== plan.itemCount) {
    throw new ColdkeepError(
      'CountMismatch',
      `DynamoDB imported ${result.importedItems} items into "${target}", the backup's manifest says ${plan.itemCount}.`,
      {
        hint: 'The backup folder may hold other objects under its data prefix, or the backup is inconsistent.',
        details: { import: result },
      },
    );
  }
  const warnings: string[] = [];
  const fromElsewhere = regionNote(plan, clients.region);
  if (fromElsewhere) warnings.push(fromElsewhere);
  await applyTtl(clients.dynamodb, schema, target).catch((err: unknown) =>
    warnings.push(`TTL on ${schema.ttl?.attributeName} could not be re-applied: ${(err as Error).message}`),
  );
  return {
    source: plan.uri,
    kind: plan.kind,
    engine: 'import',
    ...(plan.backupId ? { backupId: plan.backupId } : {}),
    target,
    dryRun: false,
    createdTable: true,
    ...(plan.itemCount !== undefined ? { itemsExpected: plan.itemCount, expectedCount: plan.itemCount } : {}),
    itemsWritten: result.importedItems,
    itemsDeleted: 0,
    itemsVerified: result.importedItems,
    countedItems: result.importedItems,
    steps: [
      {
        kind: 'full',
        uri: plan.uri,
        ...(plan.backupId ? { backupId: plan.backupId } : {}),
        puts: result.importedItems,
        deletes: 0,
      },
    ],
    files: plan.files.map((f) => ({ key: f.key, step: 0, outcome: 'written', items: f.items ?? 0 })),
    import: result,
    warnings,
    durationMs: Date.now() - startedAt,
  };
}
