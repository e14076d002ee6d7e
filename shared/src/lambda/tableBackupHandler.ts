/**
 * The Lambda function of the table-backup-schedule template: Coldkeep's own table backup for
 * each listed table, then the usual SES email with a download link. `npm run build:lambda`
 * bundles this file with esbuild (AWS SDK included, so the code runs with the SDK version it
 * was tested with, not the runtime's) into infra-templates/dist/table-backup.zip.
 *
 * Configured by environment (set by the template):
 *   COLDKEEP_TABLES   comma-separated table names
 *   COLDKEEP_BUCKET   backup bucket;  COLDKEEP_PREFIX  key prefix (default "coldkeep")
 *   COLDKEEP_NOTIFY_TO / COLDKEEP_NOTIFY_FROM / COLDKEEP_SES_REGION   the email (optional)
 *   COLDKEEP_ENDPOINT_URL*   endpoint overrides (tests run it against the emulators)
 */
import { AwsClients } from '../base/aws/clients';
import { settingsFromEnv } from '../base/aws/settings';
import type { BackupTableInput } from '../tables/backup/backupReport';
import { backupTable } from '../tables/backup/backupTable';
import { ColdkeepError } from '../base/errors/ColdkeepError';
import { failureFacts } from '../app/notify/jobSummary';
import { backupArtefact } from '../app/notify/backupArtefact';
import { backupSummary, failureSummary } from '../app/notify/jobSummary';
import { notifyJob } from '../app/notify/notifyJob';
import { notifySettingsFrom } from '../app/notify/notifySettings';

export interface ScheduledBackupEvent {
  /** Tables to back up instead of COLDKEEP_TABLES (a manual run of some of them). */
  tables?: string[];
}

/** The part of Lambda's context the handler uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

export interface ScheduledBackupResult {
  ok: boolean;
  backups: { table: string; backupId: string; items: number; bytes: number; uri: string }[];
  failures: { table: string; code: string; message: string; hint?: string }[];
  emails: { table: string; sent: boolean; error?: string }[];
}

/** Leave this much of Lambda's time to abort cleanly (delete partial data files) and report. */
const CLEANUP_MS = 20_000;

export async function runScheduledBackups(
  env: NodeJS.ProcessEnv,
  event: ScheduledBackupEvent = {},
  signal?: AbortSignal,
): Promise<ScheduledBackupResult> {
  const tables = (event.tables ?? (env.COLDKEEP_TABLES ?? '').split(',')).map((t) => t.trim()).filter(Boolean);
  const bucket = env.COLDKEEP_BUCKET;
  if (!tables.length || !bucket) {
    throw new ColdkeepError('InvalidInput', 'The backup function needs COLDKEEP_TABLES and COLDKEEP_BUCKET.', {
      hint: 'Deploy it with "coldkeep stack deploy table-backup-schedule", which sets them from its parameters.',
    });
  }
  // An empty recipient (the template's default) means no email.
  const notify = notifySettingsFrom({}, { ...env, COLDKEEP_NOTIFY_TO: env.COLDKEEP_NOTIFY_TO || undefined });
  const clients = new AwsClients(settingsFromEnv(env));
  const result: ScheduledBackupResult = { ok: true, backups: [], failures: [], emails: [] };
  try {
    for (const table of tables) {
      const input: BackupTableInput = {
        table,
        bucket,
        ...(env.COLDKEEP_PREFIX ? { prefix: env.COLDKEEP_PREFIX } : {}),
      };
      const started = Date.now();
      try {
        const report = await backupTable(clients, input, signal ? { signal } : {});
        result.backups.push({
          table,
          backupId: report.backupId,
          items: report.itemCount,
          bytes: report.bytes,
          uri: report.uri,
        });
        if (notify) {
          const sent = await notifyJob(clients, notify, backupSummary(report), () =>
            backupArtefact(clients.s3, report, input),
          );
          result.emails.push({ table, sent: sent.sent, ...(sent.error ? { error: sent.error.message } : {}) });
        }
      } catch (err) {
        result.ok = false;
        const facts = failureFacts(err) ?? { code: 'Unexpected', message: String(err) };
        result.failures.push({ table, ...facts });
        if (notify) {
          const sent = await notifyJob(
            clients,
            notify,
            failureSummary(`Backup of table ${table}`, err, Date.now() - started),
          );
          result.emails.push({ table, sent: sent.sent, ...(sent.error ? { error: sent.error.message } : {}) });
        }
        if (signal?.aborted) break;
      }
    }
  } finally {
    clients.destroy();
  }
  return result;
}

/** Lambda's entry point. Logs one JSON report; fails the invocation when any table failed. */
export async function handler(
  event: ScheduledBackupEvent = {},
  context: LambdaContextLike = {},
): Promise<ScheduledBackupResult> {
  const controller = new AbortController();
  const remaining = context.getRemainingTimeInMillis?.();
  const timer =
    remaining !== undefined ? setTimeout(() => controller.abort(), Math.max(remaining - CLEANUP_MS, 1000)) : undefined;
  try {
    const result = await runScheduledBackups(process.env, event ?? {}, controller.signal);
    console.log(JSON.stringify({ coldkeep: 'scheduled-backup', ...result }));
    if (!result.ok) {
      throw new Error(
        `Backup failed for ${result.failures.map((f) => `${f.table} (${f.code}: ${f.message})`).join('; ')}`,
      );
    }
    return result;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
