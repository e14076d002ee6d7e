import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsClients } from '../../base/aws/clients';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { CapacityLimiter } from '../source/capacityLimiter';
import { countAndReport } from './countPhase';
import { restoreFailure } from './failedRestore';
import { importRestore } from './importRestore';
import { openRestoreRun } from './planPhase';
import { planRestore } from './restorePlan';
import type { RestoreProgress, RestoreReport, RestoreTableInput } from './restoreReport';
import { createTableFromSchema } from './targetTable';
import { checkTarget } from './targetPhase';
import { thawDataFiles } from './thawPhase';
import { verifyAll } from './verifyPhase';
import { writeAll } from './writePhase';

/**
 * Restores a backup (or a DynamoDB native export) into a table, in phases (restoreRun.ts holds
 * what they share): plan → check the target → thaw archived files → verify (by default every
 * file is downloaded and proven, checksum and record count, before anything is written) →
 * create the table → write, step by step, each file from its verified copy → TTL → count. A
 * failure says exactly what DynamoDB acknowledged, file by file, after every request in flight
 * has been answered; `resume` continues a restore that stopped, from its journal.
 */
export async function restoreTable(
  clients: AwsClients,
  input: RestoreTableInput,
  options: JobOptions<RestoreProgress> = {},
): Promise<RestoreReport> {
  const startedAt = Date.now();
  const { signal } = options;
  const plan = await planRestore(clients.s3, input.source, signal);
  if (input.engine === 'import') return importRestore(clients, plan, input, options);
  const run = await openRestoreRun(clients, input, plan, options);
  const state = await checkTarget(run);
  await thawDataFiles(run, input.thaw, { countWaiting: true });

  const budget = input.writeUnitsPerSecond ?? (state.writeCapacityUnits ? state.writeCapacityUnits * 0.8 : undefined);
  const limiter = budget ? new CapacityLimiter(budget) : undefined;
  run.verify.stagingDir = await mkdtemp(join(input.stagingDir ?? tmpdir(), 'coldkeep-restore-'));
  try {
    if (input.verify !== 'per-file') await verifyAll(run);
    if (!input.dryRun) {
      run.stage = 'write';
      await run.journal?.begin(run.earlier);
      if (!state.exists && plan.schema) {
        await createTableFromSchema(clients.dynamodb, plan.schema, run.target, signal);
        run.createdTable = true;
        await run.journal?.markCreatedTable();
      }
    }
    if (!input.dryRun || input.verify === 'per-file') await writeAll(run, limiter);
  } catch (err) {
    throw restoreFailure(err, run);
  } finally {
    await rm(run.verify.stagingDir, { recursive: true, force: true });
  }
  throwIfAborted(signal);
  return countAndReport(run, state, startedAt);
}
