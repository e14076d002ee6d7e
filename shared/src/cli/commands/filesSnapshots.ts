import { Command } from 'commander';
import { type CliContext, requireBucket } from '../context';
import { formatBytes, formatCount, table } from '../format';
import { addKeyOptions, type KeyFlags, keyMaterialFromFlags } from '../keyFlags';
import { prefixFrom } from '../storageFlags';

export function filesSnapshotsCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('snapshots')
    .description('list folder snapshots, newest first (an encrypted one shows its folder with --source and its key)')
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep", or $COLDKEEP_PREFIX)')
    .option('--source <name>', 'only this source');
  addKeyOptions(command);
  return command.action(async (flags: KeyFlags & { bucket?: string; prefix?: string; source?: string }) => {
    const ctx = await context();
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { listSnapshots } = await import('../../folders/repository/snapshotCatalog.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const snapshots = await listSnapshots(clients, {
        bucket: requireBucket(flags.bucket),
        prefix: prefixFrom(flags.prefix),
        ...(flags.source ? { source: flags.source, keys: keyMaterialFromFlags(flags, process.env, false) } : {}),
      });
      if (ctx.json) return ctx.out(JSON.stringify({ snapshots }, null, 2));
      if (snapshots.length === 0) return ctx.out('No folder snapshots found.');
      ctx.out(
        table(
          ['SOURCE', 'SNAPSHOT ID', 'TIME', 'FILES', 'SIZE', 'FOLDER'],
          snapshots.map((s) => [
            s.source,
            s.snapshotId,
            s.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            formatCount(s.files),
            formatBytes(s.bytes),
            `${s.host}:${s.dir}`,
          ]),
        ),
      );
    } finally {
      clients.destroy();
    }
  });
}
