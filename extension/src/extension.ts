import * as vscode from 'vscode';
import { TOOL_NAME, TOOL_VERSION } from '@coldkeep/shared';

/** Command ids, as contributed in package.json. */
export const Commands = {
  showVersion: 'coldkeep.showVersion',
} as const;

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand(Commands.showVersion, showVersion));
}

export function deactivate(): void {
  // Everything registered in activate() is disposed through context.subscriptions.
}

async function showVersion(): Promise<void> {
  await vscode.window.showInformationMessage(`${TOOL_NAME} ${TOOL_VERSION}`);
}
