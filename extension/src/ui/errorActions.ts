import { ColdkeepError, type ErrorFix, errorFixes } from '@coldkeep/shared';
import * as vscode from 'vscode';
import { vscodeSettingId } from '../format';

/** A button beside an error message, and the command it runs. */
export interface ErrorAction {
  title: string;
  command: string;
  args: unknown[];
}

function actionOf(fix: ErrorFix): ErrorAction | undefined {
  switch (fix.kind) {
    case 'configureProfile':
      return { title: 'Configure Profile', command: 'coldkeep.configureProfile', args: [] };
    case 'startDemo':
      return { title: 'Start Local Demo', command: 'coldkeep.startDemo', args: [] };
    case 'startSession':
      return { title: 'Enter MFA Code', command: 'coldkeep.startSession', args: [] };
    case 'deployBucket':
      return { title: 'Deploy a Backup Bucket', command: 'coldkeep.deployBackupBucket', args: [] };
    case 'openSetting': {
      const id = vscodeSettingId(fix.setting);
      // The settings editor, searched for the one setting: it opens on it.
      return id ? { title: 'Open Settings', command: 'workbench.action.openSettings', args: [id] } : undefined;
    }
  }
}

/** The buttons an error gets: its fixes (shared errorFixes) as VS Code commands, each title once, at most three. */
export function errorActions(err: unknown): ErrorAction[] {
  if (!(err instanceof ColdkeepError)) return [];
  const actions: ErrorAction[] = [];
  for (const fix of errorFixes(err)) {
    const action = actionOf(fix);
    if (action && !actions.some((a) => a.title === action.title)) actions.push(action);
  }
  return actions.slice(0, 3);
}

/**
 * Shows an error message with the buttons that fix it, and runs the one chosen. Resolves once
 * the message is shown (a command that failed does not wait for the user to read it).
 */
export function showErrorWithActions(text: string, err: unknown): void {
  const actions = errorActions(err);
  void vscode.window.showErrorMessage(text, ...actions.map((a) => a.title)).then((choice) => {
    const action = actions.find((a) => a.title === choice);
    if (action) void vscode.commands.executeCommand(action.command, ...action.args);
  });
}
