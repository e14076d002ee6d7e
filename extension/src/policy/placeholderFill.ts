import { type PlaceholderFill, placeholderFills } from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import { showError } from '../jobs/runJob';

/** Values that only tell which placeholders the account can fill (the real ones come from STS). */
const PROBE = { account: '0', region: '0', partition: '0' };

/** The placeholders of a finding's range that the connected account fills (none: no quick fix). */
export function fillablePlaceholders(text: string, start: number, end: number): string[] {
  return placeholderFills(text, start, end, PROBE).map((f) => f.placeholder);
}

/** The quick fix of a Placeholder finding: fill from the account, or, with nothing set up, set up first. */
export function placeholderAction(
  document: vscode.TextDocument,
  diagnostic: vscode.Diagnostic,
  ready: boolean,
): vscode.CodeAction | undefined {
  const start = document.offsetAt(diagnostic.range.start);
  const end = document.offsetAt(diagnostic.range.end);
  const names = fillablePlaceholders(document.getText(), start, end);
  if (!names.length) return undefined;
  const action = new vscode.CodeAction(
    ready
      ? `Fill ${names.join(', ')} from the connected AWS account`
      : `Fill ${names.join(', ')}: configure an AWS profile first…`,
    vscode.CodeActionKind.QuickFix,
  );
  action.diagnostics = [diagnostic];
  action.command = ready
    ? { title: action.title, command: 'coldkeep.fillPlaceholder', arguments: [document.uri.toString(), start, end] }
    : { title: action.title, command: 'coldkeep.configureProfile' };
  return action;
}

/**
 * Fills the account's placeholders between `start` and `end` of a document (and every other place
 * that writes the same placeholder), from STS GetCallerIdentity and the region in use.
 */
export async function fillPlaceholderCommand(
  app: ColdkeepApp,
  uri: unknown,
  start: unknown,
  end: unknown,
): Promise<PlaceholderFill[] | undefined> {
  if (typeof uri !== 'string' || typeof start !== 'number' || typeof end !== 'number') return undefined;
  try {
    const identity = await app.callerIdentity();
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
    const fills = placeholderFills(document.getText(), start, end, identity);
    const edit = new vscode.WorkspaceEdit();
    for (const fill of fills)
      for (const e of fill.edits)
        edit.replace(document.uri, new vscode.Range(document.positionAt(e.start), document.positionAt(e.end)), e.text);
    if (fills.length) await vscode.workspace.applyEdit(edit);
    return fills;
  } catch (err) {
    await showError(err, 'Fill placeholder');
    return undefined;
  }
}
