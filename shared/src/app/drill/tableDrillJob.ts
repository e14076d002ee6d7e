import type { AwsClients } from '../../base/aws/clients';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import {
  drillTable,
  type DrillTableInput,
  type DrillTableProgress,
  type DrillTableReport,
} from '../../tables/drill/drillTable';
import { countText, durationText } from '../notify/figures';
import type { JobSummary } from '../notify/jobSummary';
import type { JobSpec } from '../runJob';
import { DrillRecords, drillSourceKey } from '../schedule/drillRecords';
import { recordedDrill, tableDrillResult } from './recordedDrill';

/**
 * A table's restore drill as a job that a front end runs with runJob (progress, cancel, email):
 * the core's drillTable, kept in the drill records whatever its outcome, which is what the lists
 * and views show as the last verified restore. A drill whose restore differs from the backup
 * fails the job (DrillFailed, the report in its details), so it is never shown as a success.
 */
export function tableDrillJob(
  clients: AwsClients,
  input: DrillTableInput,
  records: DrillRecords = new DrillRecords(),
): JobSpec<DrillTableReport, DrillTableProgress> {
  return {
    what: `Restore drill of table ${input.table}`,
    run: async (job) => {
      const report = await recordedDrill(
        records,
        drillSourceKey('table', input.table),
        () => drillTable(clients, input, job),
        tableDrillResult,
        job.signal,
      );
      if (report.status === 'failed') {
        throw new ColdkeepError(
          'DrillFailed',
          `The drill of ${input.table} (backup ${report.backupId ?? report.source}) failed: ${report.problems.join(' ')}`,
          {
            hint: 'The backup did not restore to what it holds: drill an older backup, and verify this one.',
            details: { drill: report },
          },
        );
      }
      return report;
    },
    summary: tableDrillSummary,
  };
}

/** What a notification and a front end say about a drill that passed. */
export function tableDrillSummary(report: DrillTableReport): JobSummary {
  return {
    what: `Restore drill of table ${report.table}`,
    ok: report.status === 'succeeded',
    headline: `${countText(report.itemsCompared)} items compared, restore ${durationText(report.restoreMs)}`,
    facts: [
      ['Backup', report.backupId ?? report.source],
      ['Restore time', `${durationText(report.restoreMs)} (${report.engine} engine, to a readable table)`],
      [
        'Compared',
        `${countText(report.itemsCompared)} items` +
          (report.itemsExpected !== undefined ? `; the manifest says ${countText(report.itemsExpected)}` : ''),
      ],
      ['Mismatches', countText(report.mismatches)],
      ['Scratch table', `${report.scratchTable} (${report.scratchDeleted ? 'deleted' : 'NOT deleted'})`],
      ...report.warnings.map((w): [string, string] => ['Warning', w]),
    ],
  };
}
