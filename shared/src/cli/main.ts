#!/usr/bin/env node
// Start-up loads commander and the command definitions only. Each command's action imports the
// core it needs when it runs (`await import()`), so `--version` and `--help` load no AWS SDK,
// and `files backup` loads the S3 side but not SES, CloudFormation, policies or schedules.
// Keep it so: a command file imports at its top only types and light modules (errors, format,
// parse, storageFlags, notifyOptions); test/unit/cli/main.test.ts checks what start-up loads.
import { Command, CommanderError } from 'commander';
import { ColdkeepError } from '../base/errors/ColdkeepError';
import { TOOL_VERSION } from '../base/version';
import { type CliContext, EXIT, type GlobalOptions, makeContext, PartialOutcome, reportError } from './context';
import { backupsListCommand } from './commands/backupsList';
import { backupsDeleteCommand } from './commands/backupsDelete';
import { backupsGcCommand } from './commands/backupsGc';
import { backupsShowCommand } from './commands/backupsShow';
import { backupsVerifyCommand } from './commands/backupsVerify';
import { backupTableCommand } from './commands/backupTable';
import { demoCommand } from './commands/demo';
import { drillFolderCommand } from './commands/drillFolder';
import { drillTableCommand } from './commands/drillTable';
import { exportTableCommand } from './commands/exportTable';
import { filesBackupCommand } from './commands/filesBackup';
import { filesForgetCommand } from './commands/filesForget';
import { filesKeyCommand } from './commands/filesKey';
import { filesLsCommand } from './commands/filesLs';
import { filesPruneCommand } from './commands/filesPrune';
import { filesUnlockCommand } from './commands/filesUnlock';
import { filesRestoreCommand } from './commands/filesRestore';
import { filesSnapshotsCommand } from './commands/filesSnapshots';
import { filesVerifyCommand } from './commands/filesVerify';
import { policyGenerateCommand } from './commands/policyGenerate';
import { policyLintCommand } from './commands/policyLint';
import { policySnippetsCommand } from './commands/policySnippets';
import { restoreCommand } from './commands/restore';
import { scheduleAddCommand } from './commands/scheduleAdd';
import { scheduleHistoryCommand } from './commands/scheduleHistory';
import { scheduleListCommand } from './commands/scheduleList';
import { scheduleRemoveCommand } from './commands/scheduleRemove';
import { scheduleRunCommand } from './commands/scheduleRun';
import { sessionClearCommand } from './commands/sessionClear';
import { sessionStartCommand } from './commands/sessionStart';
import { sessionStatusCommand } from './commands/sessionStatus';
import { stackDeleteCommand } from './commands/stackDelete';
import { stackDeployCommand } from './commands/stackDeploy';
import { stackStatusCommand } from './commands/stackStatus';
import { stackTemplatesCommand } from './commands/stackTemplates';
import { tablesListCommand } from './commands/tablesList';
import { restartWithCappedYoungGeneration } from './youngGeneration';

export function buildProgram(): Command {
  const program = new Command('coldkeep')
    .description('Back up DynamoDB tables and folders to S3 and restore them without surprises.')
    .version(TOOL_VERSION)
    .option('--profile <name>', 'AWS profile (default: $AWS_PROFILE)')
    .option('--region <region>', 'AWS region (default: $AWS_REGION, else us-east-1)')
    .option(
      '--endpoint-url <url>',
      'endpoint for every AWS service (an emulator or LocalStack); per service: $COLDKEEP_ENDPOINT_URL_S3 etc.',
    )
    .option('--json', 'print machine-readable JSON on stdout')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const context = (): Promise<CliContext> => makeContext(program.opts<GlobalOptions>());
  program.command('tables').description('DynamoDB tables').addCommand(tablesListCommand(context));
  program.command('backup').description('make backups').addCommand(backupTableCommand(context));
  program
    .command('backups')
    .description('the backup catalog')
    .addCommand(backupsListCommand(context))
    .addCommand(backupsShowCommand(context))
    .addCommand(backupsVerifyCommand(context))
    .addCommand(backupsDeleteCommand(context))
    .addCommand(backupsGcCommand(context));
  program.addCommand(restoreCommand(context));
  program
    .command('files')
    .description('folder snapshots: incremental, deduplicated, archive-aware')
    .addCommand(filesBackupCommand(context))
    .addCommand(filesSnapshotsCommand(context))
    .addCommand(filesLsCommand(context))
    .addCommand(filesRestoreCommand(context))
    .addCommand(filesVerifyCommand(context))
    .addCommand(filesForgetCommand(context))
    .addCommand(filesPruneCommand(context))
    .addCommand(filesUnlockCommand(context))
    .addCommand(filesKeyCommand(context));
  program.command('export').description('tables as one file to open elsewhere').addCommand(exportTableCommand(context));
  program
    .command('session')
    .description('MFA sessions: temporary credentials from a code, cached until they expire')
    .addCommand(sessionStartCommand(context))
    .addCommand(sessionStatusCommand(context))
    .addCommand(sessionClearCommand(context));
  program
    .command('schedule')
    .description('backups on a cron schedule: sources (tables, folders), catch-up of missed runs, run history')
    .addCommand(scheduleListCommand(context))
    .addCommand(scheduleAddCommand(context))
    .addCommand(scheduleRemoveCommand(context))
    .addCommand(scheduleRunCommand(context))
    .addCommand(scheduleHistoryCommand(context));
  program
    .command('drill')
    .description('restore drills: prove a backup restores, compare what it restored, measure the time, clean up')
    .addCommand(drillTableCommand(context))
    .addCommand(drillFolderCommand(context));
  program.addCommand(demoCommand(context));
  program
    .command('policy')
    .description('IAM policies: lint them, generate the least privilege for Coldkeep, print snippets')
    .addCommand(policyLintCommand(context))
    .addCommand(policyGenerateCommand(context))
    .addCommand(policySnippetsCommand(context));
  program
    .command('stack')
    .description('deploy the CloudFormation templates of infra-templates/ as stacks')
    .addCommand(stackTemplatesCommand(context))
    .addCommand(stackDeployCommand(context))
    .addCommand(stackStatusCommand(context))
    .addCommand(stackDeleteCommand(context));
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    // The report is printed already; it says what is missing.
    if (err instanceof PartialOutcome) return EXIT.partial;
    if (err instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; usage errors were already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // Input that parsed but makes no sense together (checked in the command's action) is a usage error too.
    if (err instanceof ColdkeepError && (err.code === 'InvalidInput' || err.code === 'FlagOutOfRange')) {
      reportError(err, program.opts<GlobalOptions>().json ?? false);
      return EXIT.usage;
    }
    return reportError(err, program.opts<GlobalOptions>().json ?? false);
  }
}

/** Runs the CLI in this process: `shared/bin/coldkeep.js` (the installed command) and `node dist/cli/main.js`. */
export function run(): void {
  // Once, before any work: the shim restarts earlier still, so this is for `node dist/cli/main.js`.
  restartWithCappedYoungGeneration();
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run();
