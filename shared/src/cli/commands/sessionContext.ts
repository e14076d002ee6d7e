import type { AwsClients } from '../../base/aws/clients';
import type { RestorePlan } from '../../tables/restore/restorePlan';
import type { OutliveCheck } from '../../base/session/mfaSession';
import type { CliCredentials } from '../cliCredentials';
import type { CliContext } from '../context';
import { formatDuration } from '../format';

/**
 * Before a long job: when the credentials come from an MFA session, makes sure it lasts
 * the estimate (asking for a code first if not). Returns what a report may say about it.
 */
export async function ensureSessionOutlives(
  credentials: CliCredentials | undefined,
  estimateMs: number,
  signal?: AbortSignal,
): Promise<OutliveCheck | undefined> {
  const session = await credentials?.session();
  return session?.ensureValidFor(estimateMs, signal);
}

/** A cautious scan rate for estimates: a slow guess errs towards asking for a code up front. */
const SCAN_BYTES_PER_SECOND = 5_000_000;

/**
 * Before a job that scans `table`: when the CLI runs on an MFA session, checks that the
 * session outlives the job's estimate (from the table's size).
 */
export async function ensureSessionForTable(
  ctx: CliContext,
  clients: AwsClients,
  table: string,
  signal?: AbortSignal,
): Promise<void> {
  if (!(await ctx.credentials?.session())) return;
  const { describeTable } = await import('../../tables/source/describeTable.js');
  const schema = await describeTable(clients.dynamodb, table, signal);
  await ensureSessionForEstimate(ctx, 60_000 + (schema.approximateSizeBytes / SCAN_BYTES_PER_SECOND) * 1000, signal);
}

/** A cautious restore rate for estimates (BatchWriteItem is far slower than Scan). */
const RESTORE_ITEMS_PER_SECOND = 1_000;

/** Before a restore of `plan`: the same check, with an estimate from the backup's item count. */
export async function ensureSessionForRestore(ctx: CliContext, plan: RestorePlan, signal?: AbortSignal): Promise<void> {
  if (!(await ctx.credentials?.session())) return;
  const items = plan.itemCount ?? plan.files.reduce((sum, f) => sum + (f.items ?? 0), 0);
  await ensureSessionForEstimate(ctx, 60_000 + (items / RESTORE_ITEMS_PER_SECOND) * 1000, signal);
}

/**
 * When the CLI runs on an MFA session, checks that the session outlives `estimateMs` and, on
 * a terminal, asks for a new code now rather than partway through. Without a terminal it
 * only warns.
 */
async function ensureSessionForEstimate(ctx: CliContext, estimateMs: number, signal?: AbortSignal): Promise<void> {
  const session = await ctx.credentials?.session();
  if (!session) return;
  if (!process.stdin.isTTY) {
    const status = await session.status();
    if (status && !status.expired && status.remainingMs < estimateMs) {
      process.stderr.write(
        `Warning: the MFA session ends at ${status.expiresAt}, before this job is expected to finish ` +
          `(about ${formatDuration(estimateMs)}); start a longer one with "coldkeep session start --renew".\n`,
      );
    }
    return;
  }
  const check = await ensureSessionOutlives(ctx.credentials, estimateMs, signal);
  if (check && !check.outlives) {
    process.stderr.write(
      `Warning: even the new MFA session ends at ${check.status.expiresAt}, before this job is expected to finish ` +
        `(about ${formatDuration(estimateMs)}); you will be asked for a code again then.\n`,
    );
  }
}
