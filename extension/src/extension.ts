import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type StatusSubject, TOOL_NAME, TOOL_VERSION } from '@coldkeep/shared';
import * as vscode from 'vscode';
import { ColdkeepApp } from './app';
import {
  copyBackupUriCommand,
  copyPresignedLinkCommand,
  deleteBackupCommand,
  showBackupDetailsCommand,
} from './commands/backupCommands';
import { startDemoCommand, stopDemoCommand } from './commands/demoCommands';
import { backupFolderCommand, restoreSnapshotCommand } from './commands/folderCommands';
import { generatePolicyCommand, lintPolicyCommand } from './commands/policyCommands';
import { clearSessionCommand, startSessionCommand } from './commands/sessionCommands';
import { deployPresetArgument, deployStackCommand } from './commands/stackCommands';
import { drillTableCommand } from './commands/drillCommands';
import { backupTableCommand, engineArgument, restoreCommand, verifyBackupCommand } from './commands/tableCommands';
import { coreFeatures } from './features/coreFeatures';
import {
  insertSnippetCommand,
  POLICY_LANGUAGES,
  PolicyDiagnostics,
  PolicyQuickFixes,
  PolicySnippetCompletions,
} from './policy/policyEditor';
import { fillPlaceholderCommand } from './policy/placeholderFill';
import { SECTION } from './settings';
import { configureProfile } from './ui/profilePicker';
import { BackupsTree, TablesTree } from './views/treeProviders';

/** Command ids, as contributed in package.json. */
export const Commands = {
  showVersion: 'coldkeep.showVersion',
  backupTable: 'coldkeep.backupTable',
  restoreBackup: 'coldkeep.restoreBackup',
  restoreToNewTable: 'coldkeep.restoreToNewTable',
  verifyBackup: 'coldkeep.verifyBackup',
  drillTable: 'coldkeep.drillTable',
  copyBackupUri: 'coldkeep.copyBackupUri',
  copyPresignedLink: 'coldkeep.copyPresignedLink',
  deleteBackup: 'coldkeep.deleteBackup',
  showBackupDetails: 'coldkeep.showBackupDetails',
  refreshTables: 'coldkeep.refreshTables',
  refreshBackups: 'coldkeep.refreshBackups',
  startSession: 'coldkeep.startSession',
  clearSession: 'coldkeep.clearSession',
  backupFolder: 'coldkeep.backupFolder',
  restoreSnapshot: 'coldkeep.restoreSnapshot',
  insertPolicySnippet: 'coldkeep.insertPolicySnippet',
  lintPolicy: 'coldkeep.lintPolicy',
  generatePolicy: 'coldkeep.generatePolicy',
  deployStack: 'coldkeep.deployStack',
  deployBackupBucket: 'coldkeep.deployBackupBucket',
  configureProfile: 'coldkeep.configureProfile',
  startDemo: 'coldkeep.startDemo',
  stopDemo: 'coldkeep.stopDemo',
  fillPlaceholder: 'coldkeep.fillPlaceholder',
} as const;

/**
 * The stack templates: the bundle ships them in dist/infra-templates (esbuild.mjs copies them);
 * an unbundled build leaves the lookup to the stacks module (COLDKEEP_TEMPLATES_DIR, or up the tree).
 */
function templatesDir(extensionPath: string): string | undefined {
  const dir = join(extensionPath, 'dist', 'infra-templates');
  return existsSync(dir) && !process.env.COLDKEEP_TEMPLATES_DIR ? dir : undefined;
}

/** What activate() returns: the tests inside VS Code use it to reach the views' state. */
export interface ColdkeepApi {
  app: ColdkeepApp;
  tables: TablesTree;
  backups: BackupsTree;
  diagnostics: PolicyDiagnostics;
  /** How long activate() took, in milliseconds (it runs after start-up, or when a JSON or YAML file opens first). */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): ColdkeepApi {
  const started = performance.now();
  const templates = templatesDir(context.extensionPath);
  const app = new ColdkeepApp(context, coreFeatures(templates ? { templatesDir: templates } : {}));
  const statuses = (subjects: StatusSubject[]) => app.sourceStatuses(subjects);
  const tables = new TablesTree(() => app.viewConnection(), statuses);
  const backups = new BackupsTree(() => app.viewConnection(), statuses);
  app.trees = { tables, backups };
  const diagnostics = new PolicyDiagnostics(
    () => vscode.workspace.getConfiguration(SECTION).get<boolean>('lintPolicies') ?? true,
  );
  const selector = POLICY_LANGUAGES.map((language) => ({ language }));

  const register = (id: string, run: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };
  register(Commands.showVersion, () => vscode.window.showInformationMessage(`${TOOL_NAME} ${TOOL_VERSION}`));
  register(Commands.backupTable, (arg, engine) => backupTableCommand(app, arg, engineArgument(engine)));
  register(Commands.restoreBackup, (arg) => restoreCommand(app, 'same', arg));
  register(Commands.restoreToNewTable, (arg, target) =>
    restoreCommand(app, 'new', arg, typeof target === 'string' ? target : undefined),
  );
  register(Commands.verifyBackup, (arg) => verifyBackupCommand(app, arg));
  register(Commands.drillTable, (arg) => drillTableCommand(app, arg));
  register(Commands.copyBackupUri, (arg) => copyBackupUriCommand(app, arg));
  register(Commands.copyPresignedLink, (arg) => copyPresignedLinkCommand(app, arg));
  register(Commands.deleteBackup, (arg, confirmed) => deleteBackupCommand(app, arg, confirmed === true));
  register(Commands.showBackupDetails, (arg) => showBackupDetailsCommand(app, arg));
  register(Commands.refreshTables, () => tables.refresh());
  register(Commands.refreshBackups, () => backups.refresh());
  register(Commands.startSession, () => startSessionCommand(app));
  register(Commands.clearSession, () => clearSessionCommand(app));
  register(Commands.backupFolder, (arg) => backupFolderCommand(app, arg));
  register(Commands.restoreSnapshot, (arg, target) =>
    restoreSnapshotCommand(app, arg, typeof target === 'string' ? target : undefined),
  );
  register(Commands.insertPolicySnippet, (name) => insertSnippetCommand(typeof name === 'string' ? name : undefined));
  register(Commands.lintPolicy, () => lintPolicyCommand(diagnostics));
  register(Commands.generatePolicy, () => generatePolicyCommand(app));
  register(Commands.deployStack, (name, preset) =>
    deployStackCommand(app, typeof name === 'string' ? name : undefined, deployPresetArgument(preset)),
  );
  register(Commands.deployBackupBucket, () => deployStackCommand(app, 'backup-bucket'));
  register(Commands.configureProfile, async () => {
    const session = await app
      .connection()
      .session()
      .catch(() => undefined);
    await configureProfile({ mfa: !!session, demo: app.demoRunning });
  });
  register(Commands.fillPlaceholder, (uri, start, end) => fillPlaceholderCommand(app, uri, start, end));
  register(Commands.startDemo, () => startDemoCommand(app));
  register(Commands.stopDemo, () => stopDemoCommand(app));

  context.subscriptions.push(
    app,
    diagnostics,
    vscode.window.registerTreeDataProvider('coldkeep.tables', tables),
    vscode.window.registerTreeDataProvider('coldkeep.backups', backups),
    vscode.languages.registerCodeActionsProvider(selector, new PolicyQuickFixes(diagnostics, () => app.awsReady), {
      providedCodeActionKinds: PolicyQuickFixes.kinds,
    }),
    vscode.languages.registerCompletionItemProvider(selector, new PolicySnippetCompletions()),
  );
  app.reload();
  return { app, tables, backups, diagnostics, activationMs: performance.now() - started };
}

export function deactivate(): void {
  // Everything registered in activate() is disposed through context.subscriptions.
}
