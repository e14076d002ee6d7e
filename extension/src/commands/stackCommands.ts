import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import { changeLines, type StackChange } from '@coldkeep/shared';
import type { StackDeployResult, StackParameterInfo, StacksFeature } from '../features/features';
import { runJob, showError } from '../jobs/runJob';

/** For scripts and tests: values that skip the form, and the answer to the change-set preview. */
export interface DeployPreset {
  params?: Record<string, string>;
  stackName?: string;
  approve?: boolean;
}

/** A preset passed to the command (scripts, tests); anything else is ignored. */
export function deployPresetArgument(arg: unknown): DeployPreset {
  const o = (typeof arg === 'object' && arg !== null ? arg : {}) as Record<string, unknown>;
  const preset: DeployPreset = {};
  const params = o.params;
  if (typeof params === 'object' && params !== null) {
    preset.params = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
  }
  if (typeof o.stackName === 'string') preset.stackName = o.stackName;
  if (typeof o.approve === 'boolean') preset.approve = o.approve;
  return preset;
}

type FormItem = vscode.QuickPickItem & { action: 'deploy' | 'edit'; parameter?: string };

/** Values with one changed; an empty value means "not given" (the template's default applies). */
function withValue(values: Record<string, string>, name: string, value: string): Record<string, string> {
  const next = { ...values };
  if (value === '') delete next[name];
  else next[name] = value;
  return next;
}

/**
 * The parameter form: a quick pick of every parameter with its value (and problem, if any), a
 * row to deploy; picking a parameter edits it in a validated input box. Every value is checked
 * with the template's constraints before any AWS call. Undefined when the user gives up.
 */
export async function askParameters(
  stacks: StacksFeature,
  template: string,
  parameters: StackParameterInfo[],
): Promise<Record<string, string> | undefined> {
  let values: Record<string, string> = {};
  for (;;) {
    const problems = stacks.validateParameters(template, values);
    const shown = (p: StackParameterInfo): string => {
      const value = values[p.name];
      if (value === undefined) return p.default ? `${p.default} (default)` : p.required ? '(required)' : '(empty)';
      return p.noEcho ? '••••••' : value;
    };
    const items: FormItem[] = [
      {
        label: `$(rocket) Deploy ${template}`,
        action: 'deploy',
        detail: problems.length
          ? `$(error) ${problems.map((p) => p.message).join(' ')}`
          : 'Next: the change set to review before anything changes',
      },
      ...parameters.map<FormItem>((p) => {
        const problem = problems.find((q) => q.parameter === p.name);
        return {
          label: p.name,
          description: shown(p),
          detail: problem ? `$(error) ${problem.message}` : p.description,
          action: 'edit',
          parameter: p.name,
        };
      }),
    ];
    const choice = await vscode.window.showQuickPick(items, {
      title: `Deploy ${template}: parameters`,
      placeHolder: 'Pick a parameter to change it, or deploy',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (!choice) return undefined;
    if (choice.action === 'deploy') {
      if (!problems.length) return values;
      void vscode.window.showErrorMessage(`The parameters are not valid: ${problems.map((p) => p.message).join(' ')}`);
      continue;
    }
    const p = parameters.find((q) => q.name === choice.parameter);
    if (!p) continue;
    const value = p.allowedValues?.length
      ? await vscode.window.showQuickPick(p.allowedValues, {
          title: `${template}: ${p.name}`,
          placeHolder: p.description,
          ignoreFocusOut: true,
        })
      : await vscode.window.showInputBox({
          title: `${template}: ${p.name}`,
          prompt: p.description,
          value: values[p.name] ?? p.default ?? '',
          password: p.noEcho === true,
          ignoreFocusOut: true,
          validateInput: (v) =>
            stacks.validateParameters(template, withValue(values, p.name, v.trim())).find((q) => q.parameter === p.name)
              ?.message,
        });
    if (value !== undefined) values = withValue(values, p.name, value.trim());
  }
}

/** The change-set preview: a modal listing every change; true to execute it. */
async function confirmChanges(app: ColdkeepApp, stackName: string, changes: StackChange[]): Promise<boolean> {
  const lines = changeLines(changes);
  app.output.appendLine(`Change set of ${stackName}:${lines.map((l) => `\n  ${l}`).join('')}`);
  const answer = await vscode.window.showWarningMessage(
    `Deploy stack ${stackName}: ${changes.length} change(s)?`,
    { modal: true, detail: lines.join('\n') || 'No resource changes.' },
    'Deploy',
  );
  return answer === 'Deploy';
}

/**
 * Coldkeep: Deploy Stack — the credentials checked first (STS), a template, its parameters
 * (validated before any call to CloudFormation), the
 * change set to confirm, then the deploy with progress (cancel stops it) and the outputs.
 */
export async function deployStackCommand(
  app: ColdkeepApp,
  templateName?: string,
  preset: DeployPreset = {},
): Promise<StackDeployResult | undefined> {
  const stacks = app.features.stacks;
  try {
    const connection = await app.awsConnection();
    // The credentials first: a newcomer hears what is missing before the parameter form, not after it.
    if (!connection.isDemo) {
      const identity = await runJob('Checking the AWS credentials', () => app.callerIdentity());
      if (!identity) return undefined;
    }
    const templates = await stacks.listTemplates();
    const template =
      templateName ??
      (
        await vscode.window.showQuickPick(
          templates.map((t) => ({
            label: t.name,
            description: t.defaultStackName,
            detail: t.missing ? `$(warning) ${t.missing}. ${t.description}` : t.description,
          })),
          { title: 'Deploy which stack?', matchOnDetail: true, ignoreFocusOut: true },
        )
      )?.label;
    if (!template) return undefined;
    const stackName =
      preset.stackName ?? templates.find((t) => t.name === template)?.defaultStackName ?? `coldkeep-${template}`;
    const params = preset.params ?? (await askParameters(stacks, template, await stacks.templateParameters(template)));
    if (!params) return undefined;
    const problems = stacks.validateParameters(template, params);
    if (problems.length) {
      void vscode.window.showErrorMessage(`The parameters are not valid: ${problems.map((p) => p.message).join(' ')}`);
      return undefined;
    }
    const result = await runJob(`Deploying ${stackName}`, (signal, report) =>
      stacks.deployStack(
        connection.clients,
        { template, stackName, params },
        {
          signal,
          onProgress: report,
          approve: (changes) =>
            preset.approve !== undefined ? Promise.resolve(preset.approve) : confirmChanges(app, stackName, changes),
        },
      ),
    );
    if (!result) return undefined;
    if (!result.executed) {
      void vscode.window.showInformationMessage(
        result.noChanges
          ? `Stack ${result.stackName} is up to date: nothing to change.`
          : `Nothing was deployed: the change set of ${result.stackName} was discarded.`,
      );
      return result;
    }
    const outputs = Object.entries(result.outputs);
    app.output.appendLine(
      `Deployed ${result.stackName} (${result.status ?? 'done'})${outputs.map(([k, v]) => `\n  ${k} = ${v}`).join('')}`,
    );
    const bucket = result.outputs.BucketName;
    void vscode.window
      .showInformationMessage(
        `Deployed stack ${result.stackName} (${result.status ?? 'done'}).${bucket ? ` Bucket: ${bucket}.` : ''}`,
        ...(bucket ? ['Use This Bucket'] : []),
        ...(outputs.length ? ['Show Outputs'] : []),
      )
      .then(async (choice) => {
        if (choice === 'Show Outputs') app.output.show(true);
        if (choice === 'Use This Bucket' && bucket) {
          const config = vscode.workspace.getConfiguration('coldkeep');
          await config.update('bucket', bucket, vscode.ConfigurationTarget.Global);
          if (result.outputs.Prefix)
            await config.update('prefix', result.outputs.Prefix, vscode.ConfigurationTarget.Global);
        }
      });
    return result;
  } catch (err) {
    await showError(err, 'Deploy stack');
    return undefined;
  }
}
