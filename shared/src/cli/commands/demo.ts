import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type CliContext, withCancel } from '../context';
import { formatBytes, formatCount, formatDuration } from '../format';
import { wholeNumber } from '../parse';

export function demoCommand(context: () => Promise<CliContext>): Command {
  return new Command('demo')
    .description('run the whole flow on embedded local emulators: no AWS account, no network')
    .option('--items <n>', 'students to load (default 10000)', wholeNumber('--items', 1, 1_000_000))
    .option('--segments <n>', 'scan segments (default 4)', wholeNumber('--segments', 1, 1000))
    .option('--data-dir <dir>', 'where the emulators keep their data (default: a new temp folder)')
    .option('--keep-running', 'leave the emulators running afterwards, to explore with the CLI')
    .action(async (flags: { items?: number; segments?: number; dataDir?: string; keepRunning?: boolean }) => {
      const ctx = await context();
      const { runDemo } = await import('../../app/demo/runDemo.js');
      const started = Date.now();
      const say = (line: string): void => {
        if (!ctx.json) process.stderr.write(`${line}\n`);
      };
      const report = await withCancel((signal) =>
        runDemo(
          {
            ...(flags.items ? { items: flags.items } : {}),
            ...(flags.segments ? { segments: flags.segments } : {}),
            ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
            keepRunning: flags.keepRunning ?? false,
          },
          {
            signal,
            onProgress: (p) => {
              if (p.step === 'backup') ctx.progress.backup(p.backup);
              else if (p.step === 'restore') ctx.progress.restore(p.restore);
              else {
                ctx.progress.done();
                say(`→ ${p.message}`);
              }
            },
          },
        ),
      );
      ctx.progress.done();
      const { stop, ...result } = report;
      if (!report.comparison.equal) {
        await stop?.();
        throw new ColdkeepError(
          'CountMismatch',
          `The restored table differs from the original in ${report.comparison.differences} item(s).`,
          { hint: 'This is a bug in Coldkeep: please report it with the output of "coldkeep demo --json".' },
        );
      }
      if (ctx.json) ctx.out(JSON.stringify({ ok: true, demo: result }, null, 2));
      else {
        const b = report.backup;
        ctx.out(
          [
            '',
            `Coldkeep demo: done in ${formatDuration(Date.now() - started)}.`,
            `  1. Loaded ${formatCount(report.loadedItems)} students into the table ${report.table} (local DynamoDB).`,
            `  2. Backed it up with ${b.segments} parallel scan segments: ${formatCount(b.itemCount)} items, ` +
              `${formatBytes(b.uncompressedBytes)} of DynamoDB JSON → ${formatBytes(b.bytes)} gzip in ${b.files} file(s), ${formatDuration(b.durationMs)}.`,
            `     ${b.uri}manifest.json (written last)`,
            ...(report.notification.sent
              ? [
                  `     Emailed ${report.notification.to.join(', ')} through the local SES: "${report.notification.subject}",`,
                  `     with a download link that works until ${report.notification.link?.expiresAt ?? '?'}.`,
                  ...(report.mail ? [`     Read it: ${report.mail.textFile} (or .html beside it).`] : []),
                ]
              : [`     The email was not sent: ${report.notification.error?.message ?? '?'}`]),
            `  3. Listed ${report.listed.length} backup(s) in s3://${report.bucket}.`,
            `  4. Restored it into ${report.restoredTable}: ${formatCount(report.restore.itemsWritten)} items, every file's SHA-256 verified first, ${formatDuration(report.restore.durationMs)}.`,
            `  5. Compared both tables item by item: identical (${formatCount(report.comparison.itemsA)} = ${formatCount(report.comparison.itemsB)}).`,
            '',
            `The data lives in ${report.emulators.dataDir} (S3 objects under s3/${report.bucket}/, DynamoDB under dynamodb/).`,
            ...(stop
              ? [
                  'The emulators are still running; in another shell:',
                  `  export COLDKEEP_ENDPOINT_URL_DYNAMODB=${report.emulators.dynamodb} COLDKEEP_ENDPOINT_URL_S3=${report.emulators.s3} COLDKEEP_ENDPOINT_URL_SES=${report.emulators.ses}`,
                  `  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 COLDKEEP_BUCKET=${report.bucket}`,
                  '  coldkeep backups list',
                  `  curl ${report.emulators.ses}/store    # the mail the local SES holds (POST /clear-store empties it)`,
                  'Press Ctrl-C to stop them.',
                ]
              : [
                  `The local SES stopped with the demo; run with --keep-running to read its mail live (GET <ses>/store).`,
                ]),
          ].join('\n'),
        );
      }
      if (stop) {
        await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        await stop();
      }
    });
}
