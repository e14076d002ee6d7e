import { Command } from 'commander';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BackupLocation } from '../../tables/repository/layout';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type CliContext, withCancel } from '../context';
import { sourceFrom } from './backupsShow';

interface BackupsDeleteFlags {
  table?: string;
  bucket?: string;
  prefix?: string;
  yes?: boolean;
}

/** The backup a `backups delete` argument names: its folder's s3:// URI, or an id / "latest" with --table. */
async function locate(s3: S3Client, ref: string, flags: BackupsDeleteFlags): Promise<BackupLocation> {
  const source = sourceFrom(ref, flags);
  if (!('uri' in source)) {
    const { findBackup } = await import('../../tables/repository/listBackups.js');
    return findBackup(s3, source);
  }
  const { parseManifestKey } = await import('../../tables/repository/layout.js');
  const { parseS3Uri } = await import('../../storage/bucketKeys.js');
  const uri = parseS3Uri(source.uri);
  const folder = uri?.key.replace(/\/?(manifest\.json)?$/, '');
  const location = uri && folder ? parseManifestKey(uri.bucket, `${folder}/manifest.json`) : undefined;
  if (!location) {
    throw new ColdkeepError('InvalidInput', `${ref} is not the folder of a Coldkeep table backup.`, {
      hint: 'Use the URI "coldkeep backups list" prints (s3://BUCKET/PREFIX/tables/ACCOUNT/REGION/TABLE/BACKUP_ID/), or a backup id with --table.',
    });
  }
  return location;
}

export function backupsDeleteCommand(context: () => Promise<CliContext>): Command {
  return new Command('delete')
    .description('delete one table backup (manifest first, then its files); refused while Object Lock holds it')
    .argument('<backup>', 's3:// URI of the backup, or a backup id / "latest" with --table')
    .option('--table <name>', 'table the backup id belongs to')
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep")')
    .option('--yes', 'really delete: without it, nothing is deleted and the backup is only named')
    .action(async (ref: string, flags: BackupsDeleteFlags) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { backupDir } = await import('../../tables/repository/layout.js');
      const { s3Uri } = await import('../../storage/bucketKeys.js');
      const { deleteBackup } = await import('../../tables/forget/deleteBackup.js');
      const clients = new AwsClients(ctx.settings);
      try {
        const location = await locate(clients.s3, ref, flags);
        const uri = s3Uri(location.bucket, backupDir(location));
        if (!flags.yes) {
          throw new ColdkeepError(
            'InvalidInput',
            `Not deleted: backup ${location.backupId} of ${location.table} (${uri}).`,
            {
              hint: 'Deleting a backup cannot be undone; run the same command with --yes to delete it.',
            },
          );
        }
        const report = await withCancel((signal) => deleteBackup(clients.s3, location, { signal }));
        if (ctx.json) return ctx.out(JSON.stringify({ ok: true, deleted: report }, null, 2));
        ctx.out(
          `Deleted backup ${location.backupId} of ${location.table}: ${report.deletedObjects} object(s) under ${report.uri}.`,
        );
      } finally {
        clients.destroy();
      }
    });
}
