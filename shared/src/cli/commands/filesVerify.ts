import { Command, Option } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { SnapshotRepairReport } from '../../folders/verify/repairSnapshot';
import type { BlobProblem, SnapshotVerifyReport } from '../../folders/verify/verifySnapshot';
import { type CliContext, withCancel } from '../context';
import { formatBytes, formatCount } from '../format';
import { wholeNumber } from '../parse';
import { addStorageOptions, type StorageFlags, storageFromFlags } from '../storageFlags';
import { addKeyOptions, type KeyFlags, keyMaterialFromFlags } from '../keyFlags';
import { addSourceOptions, resolveSource, type SourceFlags } from './filesCommon';

interface FilesVerifyFlags extends SourceFlags, StorageFlags, KeyFlags {
  readData?: 'none' | 'sample' | 'all';
  sample?: number;
  repair?: boolean;
  dir?: string;
}

/** What a damaged snapshot's error says to do: the command that stores the content again. */
function damagedHint(source: string): string {
  return (
    `On the machine that holds the folder, "coldkeep files verify --repair --read-data all --source ${source}" ` +
    'records the damage and stores again, in a new snapshot, every damaged file the folder still holds (a plain ' +
    '"files backup" does the same for what is recorded). The files named are not restorable from this snapshot: ' +
    'restore them from another one.'
  );
}

function problemLine(p: BlobProblem): string {
  return `${p.problem}: ${p.key} (${p.paths.join(', ')})${p.detail ? ` — ${p.detail}` : ''}`;
}

function recordingLine(report: SnapshotVerifyReport): string[] {
  const { recorded, error } = report.recording;
  return [
    ...(recorded.length ? [`Recorded ${recorded.length} damaged object(s): no backup will reuse them.`] : []),
    ...(error ? [`Could not record the damage: ${error}`] : []),
  ];
}

export function filesVerifyCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('verify')
    .description(
      'check that every blob a snapshot needs exists (and re-hash some or all of them); record what is damaged; ' +
        '--repair stores it again from the folder',
    )
    .argument('[snapshot]', 'snapshot id (or its start), or "latest"', 'latest')
    .addOption(
      new Option('--read-data <what>', 'download and re-hash blobs').choices(['none', 'sample', 'all']).default('none'),
    )
    .option(
      '--sample <n>',
      'blobs re-hashed with --read-data sample (default 20)',
      wholeNumber('--sample', 1, 1_000_000),
    )
    .option(
      '--repair',
      'then back up the folder, storing again in new objects every damaged file it still holds (a new snapshot)',
    )
    .option('--dir <folder>', "with --repair: the folder to read (default: the snapshot's own, on its host)");
  addSourceOptions(command);
  addKeyOptions(command);
  addStorageOptions(command, 'blobs stored by --repair');
  return command.action(async (snapshot: string, flags: FilesVerifyFlags) => {
    const ctx = await context();
    if (flags.dir && !flags.repair)
      throw new ColdkeepError('InvalidInput', '--dir goes with --repair.', { hint: 'Add --repair, or drop --dir.' });
    const storage = storageFromFlags(flags);
    const { AwsClients } = await import('../../base/aws/clients.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const where = await resolveSource(clients, flags);
      const readData = flags.readData ?? 'none';
      const sample = flags.sample ? { sampleSize: flags.sample } : {};
      if (flags.repair) {
        const { repairSnapshot } = await import('../../folders/verify/repairSnapshot.js');
        const repair = await withCancel((signal) =>
          repairSnapshot(
            clients,
            {
              ...where,
              ...storage,
              snapshotId: snapshot,
              readData,
              ...sample,
              ...(flags.dir ? { dir: flags.dir } : {}),
              keys: keyMaterialFromFlags(flags),
            },
            {
              signal,
              onProgress: (p) =>
                ctx.progress.show(`${p.step}:${p.phase}`, () => [
                  p.step === 'verify'
                    ? `Verifying ${p.source} ${p.snapshotId ?? ''}: ${p.read} of ${p.toRead} blob(s) re-hashed`
                    : `Storing again from the folder: ${formatCount(p.files)} files, ${formatCount(p.uploadedBlobs)} uploaded (${formatBytes(p.uploadedBytes)})`,
                ]),
            },
          ),
        );
        ctx.progress.done();
        return printRepair(ctx, repair, where.source);
      }
      const { verifySnapshot } = await import('../../folders/verify/verifySnapshot.js');
      const report = await withCancel((signal) =>
        verifySnapshot(
          clients,
          { ...where, snapshotId: snapshot, readData, ...sample, storage, keys: keyMaterialFromFlags(flags) },
          {
            signal,
            onProgress: (p) =>
              ctx.progress.show(p.phase, () => [
                `Verifying ${p.source} ${p.snapshotId ?? ''}: ${p.read} of ${p.toRead} blob(s) re-hashed`,
              ]),
          },
        ),
      );
      ctx.progress.done();
      if (!report.ok) {
        if (!ctx.json) {
          for (const p of report.problems.slice(0, 20)) ctx.out(problemLine(p));
          for (const line of recordingLine(report)) ctx.out(line);
        }
        throw new ColdkeepError(
          'SnapshotDamaged',
          `Snapshot ${report.snapshotId} of ${report.source} has ${report.problems.length} damaged or missing blob(s).`,
          { hint: damagedHint(report.source), details: { verify: report } },
        );
      }
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, verify: report }, null, 2));
      ctx.out(
        `Snapshot ${report.snapshotId} of ${report.source} is complete: ${formatCount(report.files)} files, ${formatCount(report.blobs)} blob(s) present` +
          (report.readBlobs ? `, ${formatCount(report.readBlobs)} re-hashed (${formatBytes(report.readBytes)})` : '') +
          (report.archivedNotRead ? `; ${formatCount(report.archivedNotRead)} archived blob(s) not re-hashed` : '') +
          '.',
      );
    } finally {
      ctx.progress.done();
      clients.destroy();
    }
  });
}

/** The repair's outcome: exit 0 when every damaged content was stored again, SnapshotDamaged otherwise. */
function printRepair(ctx: CliContext, repair: SnapshotRepairReport, source: string): void {
  const { verify, backup } = repair;
  if (verify.ok) {
    if (ctx.json) return ctx.out(JSON.stringify({ ok: true, verify, repair }, null, 2));
    return ctx.out(
      `Snapshot ${verify.snapshotId} of ${verify.source} is complete (${formatCount(verify.files)} files, ` +
        `${formatCount(verify.readBlobs)} blob(s) re-hashed): nothing to repair.`,
    );
  }
  const lines = [
    ...verify.problems.slice(0, 20).map(problemLine),
    ...recordingLine(verify),
    `Stored again from ${repair.dir} in snapshot ${backup!.snapshotId}: ${formatCount(repair.repaired.length)} damaged content(s) ` +
      `(${formatCount(backup!.uploadedBlobs)} blob(s), ${formatCount(backup!.uploadedPacks)} pack(s), ${formatBytes(backup!.uploadedBytes)} uploaded).`,
    ...repair.notRepaired.slice(0, 20).map((c) => `Not repaired: ${c.paths.join(', ')} — ${c.reason}`),
    `Snapshot ${verify.snapshotId} itself stays damaged (a snapshot is never rewritten); restore from ${backup!.snapshotId}.`,
  ];
  if (repair.notRepaired.length) {
    if (!ctx.json) for (const line of lines) ctx.out(line);
    throw new ColdkeepError(
      'SnapshotDamaged',
      `${repair.notRepaired.length} damaged content(s) of snapshot ${verify.snapshotId} could not be stored again: the folder no longer holds them.`,
      {
        hint: `Restore those files from another snapshot of ${source} if one has them ("coldkeep files verify SNAPSHOT" says whether it is whole); the rest is stored again in ${backup!.snapshotId}.`,
        details: { verify, repair },
      },
    );
  }
  if (ctx.json) return ctx.out(JSON.stringify({ ok: true, verify, repair }, null, 2));
  ctx.out(lines.join('\n'));
}
