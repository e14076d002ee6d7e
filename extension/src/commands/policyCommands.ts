import { countBySeverity, generatePolicy, type PolicyFinding } from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import { showError } from '../jobs/runJob';
import type { PolicyDiagnostics } from '../policy/policyEditor';
import { operationChoices, validateBucketName } from './inputs';
import { vscodeHint } from '../format';

/** Coldkeep: Lint Policy — the active file, whatever it looks like; findings go to Problems. */
export async function lintPolicyCommand(diagnostics: PolicyDiagnostics): Promise<PolicyFinding[] | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Open a policy (JSON or YAML) or a CloudFormation template to lint it.');
    return undefined;
  }
  try {
    const findings = await diagnostics.lint(editor.document, true);
    const counts = countBySeverity(findings);
    if (!findings.length) {
      void vscode.window.showInformationMessage('No problems found in this policy.');
    } else {
      void vscode.window
        .showWarningMessage(`${counts.error} error(s), ${counts.warning} warning(s) in this policy.`, 'Show Problems')
        .then((choice) => choice && vscode.commands.executeCommand('workbench.actions.view.problems'));
    }
    return findings;
  } catch (err) {
    await showError(err, 'Lint');
    return undefined;
  }
}

/** Coldkeep: Generate Least-Privilege Policy — picks operations, asks the bucket, opens the policy. */
export async function generatePolicyCommand(app: ColdkeepApp): Promise<vscode.TextDocument | undefined> {
  try {
    const picked = await vscode.window.showQuickPick(
      operationChoices().map((c) => ({ label: c.operation, picked: c.picked })),
      { title: 'Which Coldkeep operations should the policy allow?', canPickMany: true, ignoreFocusOut: true },
    );
    if (!picked?.length) return undefined;
    const settings = app.connection().settings;
    const bucket = await vscode.window.showInputBox({
      title: 'Backup bucket',
      prompt: 'The bucket the backups go to',
      value: settings.bucket ?? '',
      validateInput: validateBucketName,
      ignoreFocusOut: true,
    });
    if (bucket === undefined) return undefined;
    const generated = generatePolicy({
      operations: picked.map((p) => p.label as Parameters<typeof generatePolicy>[0]['operations'][number]),
      bucket: bucket.trim(),
      ...(settings.prefix !== undefined ? { prefix: settings.prefix } : {}),
      ...(settings.region ? { region: settings.region } : {}),
      ...(settings.sse?.type === 'aws:kms' && settings.sse.kmsKeyId ? { kmsKey: settings.sse.kmsKeyId } : {}),
    });
    const document = await vscode.workspace.openTextDocument({
      language: 'json',
      content: JSON.stringify(generated.policy, null, 2) + '\n',
    });
    await vscode.window.showTextDocument(document);
    const notes = generated.notes.map((note) => vscodeHint(note)!);
    for (const note of notes) app.output.appendLine(`Policy note: ${note}`);
    if (notes.length) void vscode.window.showInformationMessage(notes.join(' '));
    return document;
  } catch (err) {
    await showError(err, 'Generate policy');
    return undefined;
  }
}
