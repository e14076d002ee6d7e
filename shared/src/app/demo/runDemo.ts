import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AwsClients } from '../../base/aws/clients';
import type { BackupProgress, BackupReport } from '../../tables/backup/backupReport';
import { backupTable } from '../../tables/backup/backupTable';
import { type BackupSummary, listBackups } from '../../tables/repository/listBackups';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { backupArtefact } from '../notify/backupArtefact';
import { backupSummary } from '../notify/jobSummary';
import { type NotificationReport, notifyJob } from '../notify/notifyJob';
import { type RestoreProgress, type RestoreReport } from '../../tables/restore/restoreReport';
import { restoreTable } from '../../tables/restore/restoreTable';
import { compareTables, type TableComparison } from './compareTables';
import { createDemoData, DEMO_BUCKET, DEMO_TABLE } from './demoData';
import { type RunningEmulators, startEmulators } from './emulators';

export interface DemoInput {
  items?: number;
  segments?: number;
  /** Where the emulators keep their data; a new temp folder by default. */
  dataDir?: string;
  /** Leave the emulators running after the demo (the caller stops them). */
  keepRunning?: boolean;
}

export type DemoProgress =
  | { step: 'emulators' | 'load' | 'notify' | 'list' | 'compare'; message: string }
  | { step: 'backup'; backup: BackupProgress }
  | { step: 'restore'; restore: RestoreProgress };

export interface DemoReport {
  emulators: { dynamodb: string; s3: string; ses: string; dataDir: string };
  bucket: string;
  table: string;
  restoredTable: string;
  loadedItems: number;
  backup: BackupReport;
  /** The backup's email, sent to the local SES; the mail itself is saved under mail/ in the data folder. */
  notification: NotificationReport;
  mail?: { textFile: string; htmlFile: string };
  listed: BackupSummary[];
  restore: RestoreReport;
  comparison: TableComparison;
  /** Set when keepRunning: stops the emulators. */
  stop?: () => Promise<void>;
}

export const DEMO_MAIL = { to: 'you@example.com', from: 'coldkeep-demo@example.com' } as const;

/**
 * The whole flow on embedded emulators: start dynalite, s3rver and the SES emulator, create
 * and fill a studentData table, back it up, email the result with a download link, list it,
 * restore it into a new table and compare.
 */
export async function runDemo(
  input: DemoInput,
  { signal, onProgress }: JobOptions<DemoProgress> = {},
): Promise<DemoReport> {
  const itemCount = input.items ?? 10_000;
  onProgress?.({
    step: 'emulators',
    message: 'Starting local DynamoDB (dynalite), S3 (s3rver) and SES (aws-ses-v2-local) on 127.0.0.1…',
  });
  const emulators: RunningEmulators = await startEmulators({
    dynamodbOnDisk: true,
    ...(input.dataDir ? { dataDir: input.dataDir } : {}),
  });
  const clients = new AwsClients(emulators.settings);
  const stop = async (): Promise<void> => {
    clients.destroy();
    await emulators.stop();
  };
  try {
    throwIfAborted(signal);
    onProgress?.({ step: 'load', message: `Creating table ${DEMO_TABLE} and loading ${itemCount} students…` });
    await createDemoData(clients, itemCount, signal);

    const backup = await backupTable(
      clients,
      { table: DEMO_TABLE, bucket: DEMO_BUCKET, segments: input.segments ?? 4 },
      { signal, onProgress: (p) => onProgress?.({ step: 'backup', backup: p }) },
    );
    onProgress?.({
      step: 'notify',
      message: `Emailing the result with a download link to ${DEMO_MAIL.to} (local SES)…`,
    });
    const notification = await notifyJob(
      clients,
      { to: [DEMO_MAIL.to], from: DEMO_MAIL.from },
      backupSummary(backup),
      () => backupArtefact(clients.s3, backup),
      signal,
    );
    const mail = notification.sent ? await saveMail(emulators, notification.messageId) : undefined;
    onProgress?.({ step: 'list', message: `Listing the backups in s3://${DEMO_BUCKET}…` });
    const { backups } = await listBackups(clients.s3, { bucket: DEMO_BUCKET }, signal);
    const restoredTable = `${DEMO_TABLE}-restored`;
    const restore = await restoreTable(
      clients,
      { source: { uri: backup.uri }, target: restoredTable },
      { signal, onProgress: (p) => onProgress?.({ step: 'restore', restore: p }) },
    );
    onProgress?.({ step: 'compare', message: `Comparing ${DEMO_TABLE} with ${restoredTable} item by item…` });
    const comparison = await compareTables(clients.dynamodb, DEMO_TABLE, restoredTable);
    const report: DemoReport = {
      emulators: { ...emulators.endpoints, dataDir: emulators.dataDir },
      bucket: DEMO_BUCKET,
      table: DEMO_TABLE,
      restoredTable,
      loadedItems: itemCount,
      backup,
      notification,
      ...(mail ? { mail } : {}),
      listed: backups,
      restore,
      comparison,
    };
    if (input.keepRunning) report.stop = stop;
    else await stop();
    return report;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Reads the mail back from the SES emulator's store and keeps it beside the demo's data. */
async function saveMail(
  emulators: RunningEmulators,
  messageId: string | undefined,
): Promise<{ textFile: string; htmlFile: string } | undefined> {
  const response = await fetch(`${emulators.endpoints.ses}/store`);
  const { emails } = (await response.json()) as {
    emails: { messageId: string; body: { text?: string; html?: string } }[];
  };
  const mail = emails.find((e) => e.messageId === messageId);
  if (!mail) return undefined;
  const dir = join(emulators.dataDir, 'mail');
  await mkdir(dir, { recursive: true });
  const textFile = join(dir, 'backup-notification.txt');
  const htmlFile = join(dir, 'backup-notification.html');
  await writeFile(textFile, mail.body.text ?? '');
  await writeFile(htmlFile, mail.body.html ?? '');
  return { textFile, htmlFile };
}
