import { Command } from 'commander';
import type { RestorePlan, RestoreSource } from '../../tables/restore/restorePlan';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type CliContext, requireBucket } from '../context';
import { formatBytes, formatCount } from '../format';

/** `s3://…` or a backup id (with --table), or "latest". */
export function sourceFrom(ref: string, flags: { bucket?: string; prefix?: string; table?: string }): RestoreSource {
  if (ref.startsWith('s3://')) return { uri: ref };
  if (!flags.table) {
    throw new ColdkeepError('InvalidInput', `"${ref}" is not an s3:// URI, so the table must be named.`, {
      hint: `Pass --table TABLE with a backup id or "latest", e.g. coldkeep restore latest --table Orders --bucket B.`,
    });
  }
  return {
    bucket: requireBucket(flags.bucket),
    table: flags.table,
    backupId: ref,
    ...((flags.prefix ?? process.env.COLDKEEP_PREFIX) !== undefined
      ? { prefix: flags.prefix ?? process.env.COLDKEEP_PREFIX }
      : {}),
  };
}

/** SSE, its KMS key and Object Lock, as the manifest records them. */
function storageLines(storage: NonNullable<RestorePlan['storage']>): string[] {
  const sse = storage.sse;
  const lock = storage.objectLock;
  return [
    `SSE       ${sse ? `${sse.type}${sse.type === 'aws:kms' ? ` (key ${sse.kmsKeyId ?? 'the AWS managed key'})` : ''}` : "the bucket's default"}`,
    `Lock      ${lock ? `${lock.mode} until ${lock.retainUntil}` : 'none'}`,
  ];
}

export function backupsShowCommand(context: () => Promise<CliContext>): Command {
  return new Command('show')
    .description('show one backup: its schema, counts and files')
    .argument('<backup>', 's3:// URI of the backup, or a backup id / "latest" with --table')
    .option('--table <name>', 'table the backup id belongs to')
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep")')
    .action(async (ref: string, flags: { bucket?: string; prefix?: string; table?: string }) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { planRestore } = await import('../../tables/restore/restorePlan.js');
      const clients = new AwsClients(ctx.settings);
      try {
        const plan = await planRestore(clients.s3, sourceFrom(ref, flags));
        if (ctx.json) return ctx.out(JSON.stringify(plan, null, 2));
        const schema = plan.schema;
        ctx.out(
          [
            `Backup    ${plan.backupId ?? '(DynamoDB export)'} of ${plan.sourceTable ?? '?'}`,
            `Location  ${plan.uri}`,
            ...(plan.source
              ? [`Source    ${plan.source.table} in ${plan.source.region} (account ${plan.source.account})`]
              : []),
            ...(plan.storage ? storageLines(plan.storage) : []),
            ...(plan.steps.length > 1
              ? [`Chain     ${plan.steps.map((s) => `${s.backupId ?? s.uri} (${s.kind})`).join(' → ')}`]
              : [`Kind      ${plan.steps[0]?.kind ?? 'full'}`]),
            `Items     ${plan.itemCount !== undefined ? formatCount(plan.itemCount) : '?'}`,
            `Files     ${plan.files.length} (${formatBytes(plan.files.reduce((n, f) => n + (f.bytes ?? 0), 0))})`,
            ...(schema
              ? [
                  `Keys      ${schema.keySchema.map((k) => `${k.AttributeName} (${k.KeyType})`).join(', ')}`,
                  `Billing   ${schema.billingMode}${schema.provisionedThroughput ? ` (${schema.provisionedThroughput.readCapacityUnits} RCU / ${schema.provisionedThroughput.writeCapacityUnits} WCU)` : ''}`,
                  `Indexes   ${[...schema.globalSecondaryIndexes.map((i) => `${i.indexName} (GSI)`), ...schema.localSecondaryIndexes.map((i) => `${i.indexName} (LSI)`)].join(', ') || 'none'}`,
                  `TTL       ${schema.ttl?.enabled ? schema.ttl.attributeName : 'off'}`,
                ]
              : []),
          ].join('\n'),
        );
      } finally {
        clients.destroy();
      }
    });
}
