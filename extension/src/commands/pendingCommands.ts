import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import { runJob, showError } from '../jobs/runJob';
import { UNAVAILABLE } from '../pendingFeatures';

/** Coldkeep: Back Up Folder — a folder snapshot to the backup bucket (when the engine is in this build). */
export async function backupFolderCommand(app: ColdkeepApp, arg?: unknown): Promise<string | undefined> {
  const feature = app.features.folderBackup;
  if (!feature) {
    void vscode.window.showWarningMessage(UNAVAILABLE.folderBackup);
    return undefined;
  }
  try {
    const connection = app.connection();
    const bucket = connection.bucket();
    const folder =
      arg instanceof vscode.Uri
        ? arg.fsPath
        : (
            await vscode.window.showOpenDialog({
              canSelectFolders: true,
              canSelectFiles: false,
              title: 'Back up which folder?',
            })
          )?.[0]?.fsPath;
    if (!folder) return undefined;
    const result = await runJob(`Backing up ${folder}`, (signal, report) =>
      feature.backupFolder(
        connection.clients,
        { folder, bucket, ...(connection.settings.prefix !== undefined ? { prefix: connection.settings.prefix } : {}) },
        { signal, onProgress: report },
      ),
    );
    if (!result) return undefined;
    void vscode.window
      .showInformationMessage(result.summary, ...(result.uri ? ['Copy S3 URI'] : []))
      .then(async (choice) => {
        if (choice && result.uri) await vscode.env.clipboard.writeText(result.uri);
      });
    return result.summary;
  } catch (err) {
    await showError(err, 'Folder backup');
    return undefined;
  }
}

/** Coldkeep: Deploy Stack — a template, its parameters (validated), then the deploy with progress. */
export async function deployStackCommand(app: ColdkeepApp, templateName?: string): Promise<string | undefined> {
  const stacks = app.features.stacks;
  if (!stacks) {
    void vscode.window.showWarningMessage(UNAVAILABLE.stacks);
    return undefined;
  }
  try {
    const connection = app.connection();
    const template =
      templateName ??
      (
        await vscode.window.showQuickPick(
          (await stacks.listTemplates()).map((t) => ({ label: t.name, detail: t.description })),
          { title: 'Deploy which stack?', ignoreFocusOut: true },
        )
      )?.label;
    if (!template) return undefined;
    const params: Record<string, string> = {};
    for (const p of await stacks.templateParameters(template)) {
      const value = p.allowedValues?.length
        ? await vscode.window.showQuickPick(p.allowedValues, {
            title: p.name,
            placeHolder: p.description,
            ignoreFocusOut: true,
          })
        : await vscode.window.showInputBox({
            title: `${template}: ${p.name}`,
            prompt: p.description,
            value: p.name === 'BucketName' ? (connection.settings.bucket ?? p.default ?? '') : (p.default ?? ''),
            ignoreFocusOut: true,
            validateInput: async (v) => {
              const problems = await stacks.validateParameters(template, { ...params, [p.name]: v });
              return problems.find((m) => m.includes(p.name));
            },
          });
      if (value === undefined) return undefined;
      params[p.name] = value;
    }
    const problems = await stacks.validateParameters(template, params);
    if (problems.length) {
      void vscode.window.showErrorMessage(`The parameters are not valid: ${problems.join(' ')}`);
      return undefined;
    }
    const result = await runJob(`Deploying ${template}`, (signal, report) =>
      stacks.deployStack(connection.clients, { template, params }, { signal, onProgress: report }),
    );
    if (!result) return undefined;
    app.output.appendLine(`Deployed ${result.stackName}: ${JSON.stringify(result.outputs)}`);
    const bucket = result.outputs.BucketName;
    void vscode.window
      .showInformationMessage(`Deployed stack ${result.stackName}.`, ...(bucket ? ['Use This Bucket'] : []))
      .then(async (choice) => {
        if (choice && bucket)
          await vscode.workspace
            .getConfiguration('coldkeep')
            .update('bucket', bucket, vscode.ConfigurationTarget.Global);
      });
    return result.stackName;
  } catch (err) {
    await showError(err, 'Deploy stack');
    return undefined;
  }
}
