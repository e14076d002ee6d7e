import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { FolderBackupInput } from '../../folders/backup/backupReport';
import { jobOutcome, outcomeLines } from '../../base/jobs/jobOutcome';
import { snapshotSummary } from '../../app/notify/jobSummary';
import { runCliJob } from '../cliJob';
import { type CliContext, PartialOutcome, requireBucket } from '../context';
import { formatBytes, formatCount, formatDuration } from '../format';
import { addNotifyOptions, notificationLines, type NotifyFlags, notifySettingsFromFlags } from '../notifyOptions';
import { sizeFlag, wholeNumber } from '../parse';
import { addKeyOptions, type KeyFlags, keyMaterialFromFlags } from '../keyFlags';
import { addStorageOptions, prefixFrom, type StorageFlags, storageFromFlags } from '../storageFlags';

interface FilesBackupFlags extends NotifyFlags, StorageFlags, KeyFlags {
  bucket?: string;
  prefix?: string;
  source?: string;
  exclude?: string[];
  excludeFile?: string[];
  defaultExcludes?: boolean;
  maxFileSize?: string;
  parent?: string;
  concurrency?: number;
  packFilesUpTo?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function toFolderBackupInput(dir: string, flags: FilesBackupFlags, now = new Date()): FolderBackupInput {
  const excludes = [...(flags.exclude ?? [])];
  for (const file of flags.excludeFile ?? []) {
    try {
      excludes.push(...readFileSync(file, 'utf8').split(/\r?\n/));
    } catch (err) {
      throw new ColdkeepError('InvalidInput', `Cannot read the exclude file ${file}.`, {
        hint: 'Give a file of gitignore-style patterns, one per line.',
        cause: err,
      });
    }
  }
  const input: FolderBackupInput = {
    dir,
    bucket: requireBucket(flags.bucket),
    excludes,
    ...storageFromFlags(flags, now),
  };
  const prefix = prefixFrom(flags.prefix);
  if (prefix !== undefined) input.prefix = prefix;
  if (flags.source) input.source = flags.source;
  if (flags.defaultExcludes === false) input.defaultExcludes = false;
  if (flags.maxFileSize) input.maxFileSize = sizeFlag('--max-file-size', 1, 1024 ** 5)(flags.maxFileSize);
  if (flags.parent) input.parent = flags.parent;
  if (flags.concurrency) input.concurrency = flags.concurrency;
  if (flags.packFilesUpTo !== undefined)
    input.packFilesUpTo = sizeFlag('--pack-files-up-to', 0, 64 * 1024 ** 2)(flags.packFilesUpTo);
  const keys = keyMaterialFromFlags(flags);
  if (Object.keys(keys).length) input.keys = keys;
  return input;
}

export function filesBackupCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('backup')
    .description('snapshot a folder to S3: only new content is uploaded; the snapshot is written last')
    .argument('<dir>', 'the folder to back up')
    .option('--bucket <name>', 'destination bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix in the bucket (default: "coldkeep", or $COLDKEEP_PREFIX)')
    .option('--source <name>', 'source name (default: the folder name and a hash of host and path)')
    .option('--exclude <pattern>', 'leave out paths matching a gitignore pattern (repeatable)', collect)
    .option('--exclude-file <file>', 'read exclude patterns from a file (repeatable)', collect)
    .option('--no-default-excludes', 'keep OS litter too (.DS_Store, Thumbs.db, …)')
    .option('--max-file-size <size>', 'skip files larger than this (e.g. 2G), with a note')
    .option('--parent <snapshot>', 'compare with this snapshot (default: the latest; "none" reads every file)')
    .option('--concurrency <n>', 'files read and uploaded at once (default 8)', wholeNumber('--concurrency', 1, 256))
    .option(
      '--pack-files-up-to <size>',
      'pack files up to this size into ~8 MiB pack objects (default 1M; 0: one object per file)',
    );
  addStorageOptions(command, 'blobs');
  addKeyOptions(command, { kms: true });
  // No download link: a snapshot is many shared blobs, not one file (see snapshotSummary).
  addNotifyOptions(command, { link: false });
  return command.action(async (dir: string, flags: FilesBackupFlags) => {
    const ctx = await context();
    const { backupFolder } = await import('../../folders/backup/backupFolder.js');
    const input = toFolderBackupInput(dir, flags);
    const notify = notifySettingsFromFlags(flags);
    const { clients } = ctx.connection;
    try {
      const { report, notification } = await runCliJob(ctx, notify, {
        what: `Snapshot of folder ${resolve(dir)}`,
        run: ({ signal }) =>
          backupFolder(clients, input, {
            signal,
            onProgress: (p) =>
              ctx.progress.show(p.phase, () => [
                `${p.phase === 'manifest' ? 'Writing snapshot' : p.phase === 'prepare' ? 'Preparing' : 'Backing up'} ${p.source}: ` +
                  `${formatCount(p.files)} files, ${formatBytes(p.bytes)}; ${formatCount(p.unchangedFiles)} unchanged, ` +
                  `${formatCount(p.uploadedBlobs)} uploaded (${formatBytes(p.uploadedBytes)})` +
                  (p.skipped ? `, ${p.skipped} skipped` : ''),
              ]),
          }),
        summary: snapshotSummary,
      });
      ctx.progress.done();
      const outcome = jobOutcome(report);
      if (ctx.json) {
        // ok is true only for a success: a script that checks it never takes a partial for one.
        ctx.out(
          JSON.stringify(
            {
              ok: outcome.status === 'succeeded',
              status: outcome.status,
              ...(outcome.headline ? { incomplete: outcome.headline } : {}),
              snapshot: report,
              ...(notification ? { notification } : {}),
            },
            null,
            2,
          ),
        );
      } else
        ctx.out(
          [
            `Snapshot ${report.snapshotId} of ${report.dir}: ${formatCount(report.files)} files, ${formatBytes(report.bytes)} ` +
              `(${formatCount(report.unchangedFiles)} unchanged since ${report.parent ?? 'no parent'}); ` +
              `${formatCount(report.uploadedBlobs)} new blob(s) (${formatCount(report.uploadedPacks)} pack(s)), ${formatBytes(report.uploadedBytes)} uploaded, ${formatDuration(report.durationMs)}.`,
            `Source:   ${report.source}${report.encrypted ? ' (encrypted)' : ''}`,
            ...(report.keyCreated
              ? [
                  `Key wrap ${report.keyCreated.id} (${report.keyCreated.type}) made.`,
                  `WARNING: ${report.keyCreated.warning}`,
                ]
              : []),
            `Location: ${report.uri}`,
            ...outcomeLines(outcome),
            `Restore with: coldkeep files restore ${report.snapshotId} --source ${report.source} --target DIR`,
            ...notificationLines(notification),
          ].join('\n'),
        );
      if (outcome.status === 'partial') throw new PartialOutcome(outcome.headline!);
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}
