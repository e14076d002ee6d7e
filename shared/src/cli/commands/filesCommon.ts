import type { Command } from 'commander';
import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { requireBucket } from '../context';
import { prefixFrom } from '../storageFlags';

/** Where the snapshots are: --bucket, --prefix, --source. */
export interface SourceFlags {
  bucket?: string;
  prefix?: string;
  source?: string;
}

export function addSourceOptions(command: Command): Command {
  return command
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep", or $COLDKEEP_PREFIX)')
    .option(
      '--source <name>',
      'the source (see "coldkeep files snapshots"); may be left out when the bucket holds one',
    );
}

export interface ResolvedSource {
  bucket: string;
  prefix: string | undefined;
  source: string;
}

/** The source from --source, or the only one in the bucket. */
export async function resolveSource(clients: AwsClients, flags: SourceFlags): Promise<ResolvedSource> {
  const bucket = requireBucket(flags.bucket);
  const prefix = prefixFrom(flags.prefix);
  if (flags.source) return { bucket, prefix, source: flags.source };
  const { listSnapshots } = await import('../../folders/repository/snapshotCatalog.js');
  const sources = [...new Set((await listSnapshots(clients, { bucket, prefix })).map((s) => s.source))];
  if (sources.length === 1) return { bucket, prefix, source: sources[0]! };
  throw new ColdkeepError(
    sources.length ? 'InvalidInput' : 'SnapshotNotFound',
    sources.length
      ? `The bucket holds snapshots of ${sources.length} sources; say which with --source.`
      : `No folder snapshots in s3://${bucket}${prefix !== undefined ? ` under "${prefix}"` : ''}.`,
    {
      hint: sources.length
        ? `Sources: ${sources.slice(0, 10).join(', ')}${sources.length > 10 ? ', …' : ''}.`
        : 'Make one with "coldkeep files backup DIR", or check --bucket and --prefix.',
    },
  );
}

export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!m) throw new ColdkeepError('InvalidInput', `"${value}" is not a size.`, { hint: 'e.g. 500M, 2G, 1048576' });
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * unit);
}
