import { Command, InvalidArgumentError, Option } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { DrillFolderReport } from '../../folders/drill/drillReport';
import type { StorageKind } from '../../folders/drill/drillSample';
import type { RetrievalTier } from '../../storage/thawArchived';
import { type CliContext, PartialOutcome, requireBucket, withCancel } from '../context';
import { formatBytes, formatCount, formatDuration, red } from '../format';
import { wholeNumber } from '../parse';
import { addKeyOptions, type KeyFlags, keyMaterialFromFlags } from '../keyFlags';
import { prefixFrom } from '../storageFlags';

interface DrillFolderFlags extends KeyFlags {
  snapshot?: string;
  bucket?: string;
  prefix?: string;
  files?: number | 'all';
  thaw?: boolean;
  tier?: RetrievalTier;
  days?: number;
  pollSeconds?: number;
  keep?: boolean;
  mismatches?: number;
  readData?: 'none' | 'sample' | 'all';
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  concurrency?: number;
}

/** --files: a whole number, or "all". */
function filesFlag(value: string): number | 'all' {
  if (value.trim().toLowerCase() === 'all') return 'all';
  try {
    return wholeNumber('--files', 1, 10_000_000)(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message} (or "all")`);
  }
}

const KIND_WORDS: Record<StorageKind, string> = {
  packed: 'packed',
  blob: 'blob',
  'big-blob': 'big blob',
  empty: 'empty',
};

export function drillFolderCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('folder')
    .description(
      "restore a sample of a folder snapshot (every storage kind in it) into a temp folder, check each file's SHA-256 on disk, verify the blobs the snapshot needs, time it, remove the temp folder",
    )
    .argument('<source>', 'the snapshot source (see "coldkeep files snapshots")')
    .option('--snapshot <id>', 'the snapshot to drill (or its start; default: "latest")')
    .option(
      '--files <n>',
      'files restored and checked, or "all" (default 20; at least one of each storage kind)',
      filesFlag,
    )
    .option('--thaw', 'read data in Glacier classes too: retrieve it first (billed; the cost is said before)')
    .addOption(
      new Option('--tier <tier>', 'with --thaw: retrieval tier')
        .choices(['Expedited', 'Standard', 'Bulk'])
        .default('Standard'),
    )
    .option(
      '--days <n>',
      'with --thaw: days a retrieved copy stays readable (default 7)',
      wholeNumber('--days', 1, 36_500),
    )
    .option(
      '--poll-seconds <n>',
      'with --thaw: seconds between checks of the retrieval (default 60)',
      wholeNumber('--poll-seconds', 1, 86_400),
    )
    .option('--keep', 'leave the temp folder with the restored sample in place (its path is printed)')
    .option(
      '--mismatches <n>',
      'mismatching files named, with their paths (default 10)',
      wholeNumber('--mismatches', 1, 10_000),
    )
    .addOption(
      new Option(
        '--read-data <what>',
        "the verify of the snapshot's blobs: re-hash none (default), a sample, or all",
      ).choices(['none', 'sample', 'all']),
    )
    .addOption(
      new Option('--sse <type>', 'server-side encryption of the damage records a drill writes').choices([
        'AES256',
        'aws:kms',
      ]),
    )
    .option('--kms-key-id <id>', 'KMS key for --sse aws:kms')
    .option('--concurrency <n>', 'files downloaded at once (default 8)', wholeNumber('--concurrency', 1, 256))
    .option('--bucket <name>', 'bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix (default: "coldkeep", or $COLDKEEP_PREFIX)');
  addKeyOptions(command);
  return command.action(async (source: string, flags: DrillFolderFlags) => {
    const ctx = await context();
    if (flags.kmsKeyId && flags.sse === 'AES256') {
      throw new ColdkeepError('InvalidInput', '--kms-key-id goes with --sse aws:kms.', {
        hint: 'Drop --kms-key-id for AES256, or use --sse aws:kms.',
      });
    }
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { drillFolder } = await import('../../folders/drill/drillFolder.js');
    const { DrillRecords, drillSourceKey } = await import('../../app/schedule/drillRecords.js');
    const { folderDrillResult, recordedDrill } = await import('../../app/drill/recordedDrill.js');
    const clients = new AwsClients(ctx.settings);
    const prefix = prefixFrom(flags.prefix);
    const sse =
      flags.sse === 'aws:kms' || flags.kmsKeyId
        ? { type: 'aws:kms' as const, ...(flags.kmsKeyId ? { kmsKeyId: flags.kmsKeyId } : {}) }
        : flags.sse === 'AES256'
          ? { type: 'AES256' as const }
          : undefined;
    let costSaid = false;
    try {
      const report = await withCancel((signal) =>
        recordedDrill(
          new DrillRecords(),
          drillSourceKey('folder', source),
          () =>
            drillFolder(
              clients,
              {
                bucket: requireBucket(flags.bucket),
                ...(prefix !== undefined ? { prefix } : {}),
                source,
                ...(flags.snapshot ? { snapshotId: flags.snapshot } : {}),
                ...(flags.files !== undefined ? { files: flags.files } : {}),
                ...(flags.thaw ? { thaw: true } : {}),
                ...(flags.tier ? { tier: flags.tier } : {}),
                ...(flags.days ? { days: flags.days } : {}),
                ...(flags.pollSeconds ? { pollIntervalMs: flags.pollSeconds * 1000 } : {}),
                ...(flags.keep ? { keep: true } : {}),
                ...(flags.mismatches ? { mismatchLimit: flags.mismatches } : {}),
                ...(flags.readData ? { verifyReadData: flags.readData } : {}),
                keys: keyMaterialFromFlags(flags),
                ...(sse ? { storage: { sse } } : {}),
                ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
              },
              {
                signal,
                onProgress: (p) => {
                  // What a retrieval costs is said before it starts, on stderr (stdout stays the report).
                  if (p.thaw && !costSaid) {
                    costSaid = true;
                    ctx.progress.done();
                    process.stderr.write(`${p.thaw.note}\n`);
                  }
                  ctx.progress.show(`${p.phase}:${p.waitingFor ?? ''}`, () => [
                    p.phase === 'thaw'
                      ? `Drill of ${source}: waiting for ${formatCount(p.waitingFor ?? p.thaw?.objects ?? 0)} archived object(s) to be retrieved…`
                      : p.phase === 'restore'
                        ? `Drill of ${source} ${p.snapshotId ?? ''}: ${formatCount(p.filesDone)} of ${formatCount(p.files)} sampled files restored, ${formatBytes(p.bytesDone)}`
                        : `Drill of ${source}${p.snapshotId ? ` ${p.snapshotId}` : ''}: ${p.phase}`,
                  ]);
                },
              },
            ),
          folderDrillResult,
          signal,
        ),
      );
      ctx.progress.done();
      if (report.status === 'failed') {
        if (!ctx.json) printReport(ctx, report);
        throw new ColdkeepError(
          'DrillFailed',
          `The drill of ${source} (snapshot ${report.snapshotId}) failed: ${report.problems.join(' ')}`,
          {
            hint: 'The snapshot did not restore to what it holds: drill an older snapshot, and run "coldkeep files verify --repair --read-data all" to store again what the folder still holds.',
            details: { drill: report },
          },
        );
      }
      if (ctx.json)
        ctx.out(JSON.stringify({ ok: report.status === 'succeeded', status: report.status, drill: report }, null, 2));
      else printReport(ctx, report);
      // Not read (Glacier): the drill proved the rest only; exit 3, as a partial backup.
      if (report.status === 'partial') throw new PartialOutcome(`${report.notRead?.files ?? 0} file(s) not read`);
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}

function printReport(ctx: CliContext, report: DrillFolderReport): void {
  const ok = report.status === 'succeeded';
  const kinds = (counts: DrillFolderReport['sampledByKind']): string =>
    Object.entries(counts)
      .map(([kind, n]) => `${KIND_WORDS[kind as StorageKind]} ${formatCount(n)}`)
      .join(', ');
  const notRead = report.notRead;
  ctx.out(
    [
      ok
        ? `Drill of ${report.source} succeeded: snapshot ${report.snapshotId} restored (a sample) and verified.`
        : report.status === 'partial'
          ? `Drill of ${report.source} PARTLY verified: snapshot ${report.snapshotId}; data in Glacier classes was not read.`
          : red(`Drill of ${report.source} FAILED: snapshot ${report.snapshotId}.`),
      `Restore time  ${formatDuration(report.restoreMs)} (${formatCount(report.sampled)} of ${formatCount(report.filesInSnapshot)} files, ${formatBytes(report.bytesRestored)}, into a temp folder)`,
      `Sampled       ${formatCount(report.sampled)} files${report.sampled ? `: ${kinds(report.sampledByKind)}` : ''} (asked: ${report.sampleAsked})`,
      `Checked       ${formatCount(report.filesChecked)} files re-hashed on disk`,
      `Mismatches    ${report.mismatches}`,
      ...report.firstMismatches.map((m) => `  ${m.problem.padEnd(16)} ${m.path} (${KIND_WORDS[m.kind]}, ${m.key})`),
      `Verify        ${formatCount(report.verify.blobs)} blob(s) the snapshot needs: ` +
        (report.verify.ok ? 'all present' : `${report.verify.problems} damaged or missing`) +
        (report.verify.readBlobs ? `, ${formatCount(report.verify.readBlobs)} re-hashed` : ''),
      ...(notRead
        ? [
            `Not read      ${formatCount(notRead.files)} file(s) (${formatCount(notRead.objects)} object(s), ${formatBytes(notRead.bytes)}) in ${notRead.storageClasses.join(', ')}: checked in the listing only; --thaw reads them (billed)`,
          ]
        : []),
      ...(report.thawed
        ? [
            `Thawed        ${formatCount(report.thawed.objects)} object(s), ${formatBytes(report.thawed.bytes)} from ${report.thawed.storageClasses.join(', ')} (${report.thawed.tier}); no price table: see the S3 pricing page`,
          ]
        : []),
      ...report.problems.map((p) => red(`Problem: ${p}`)),
      `Temp folder   ${report.tempRemoved ? 'removed' : `NOT removed: ${report.tempFolder}`}`,
      ...report.warnings.map((w) => `Warning: ${w}`),
    ].join('\n'),
  );
}
