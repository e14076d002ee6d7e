import { type AwsProfileEntry, listAwsProfiles } from '@coldkeep/shared';
import * as vscode from 'vscode';
import { SECTION } from '../settings';

type PickItem = vscode.QuickPickItem & {
  run: 'profile' | 'demo' | 'session' | 'create' | 'settings';
  profile?: string;
};

/** The picker's rows: the profiles of the AWS files, then what else sets Coldkeep up. Pure, for the unit tests. */
export function profileItems(
  profiles: AwsProfileEntry[],
  current: { profile?: string; mfa: boolean; demo: boolean },
): PickItem[] {
  const items: PickItem[] = profiles.map((p) => ({
    label: p.name,
    description: [p.region, p.mfa ? 'MFA' : undefined, p.name === current.profile ? 'in use' : undefined]
      .filter(Boolean)
      .join(' · '),
    run: 'profile',
    profile: p.name,
  }));
  if (current.mfa) items.unshift({ label: '$(key) Enter an MFA Code…', run: 'session' });
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator, run: 'settings' });
  if (!profiles.length)
    items.push({ label: '$(terminal) Create a Profile…', detail: 'Runs "aws configure" in a terminal', run: 'create' });
  if (!current.demo)
    items.push({
      label: '$(beaker) Start the Local Demo',
      detail: 'No AWS account: emulators on this machine',
      run: 'demo',
    });
  items.push({ label: '$(gear) Open Settings', run: 'settings' });
  return items;
}

/**
 * Coldkeep: Configure AWS Profile — the profile picker (status bar, welcome view, a failure's
 * button): a profile of ~/.aws/config and ~/.aws/credentials, then its region. Typing a name
 * the files do not have uses it as it is.
 */
export async function configureProfile(current: { mfa: boolean; demo: boolean }): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inUse = config.get<string>('profile') || process.env.AWS_PROFILE || undefined;
  const profiles = await listAwsProfiles().catch(() => [] as AwsProfileEntry[]);
  const pick = vscode.window.createQuickPick<PickItem>();
  pick.title = 'Coldkeep: AWS profile';
  pick.placeholder = profiles.length ? 'Pick a profile of your AWS config' : 'No profile in ~/.aws yet';
  pick.ignoreFocusOut = true;
  const fixed = profileItems(profiles, { ...(inUse ? { profile: inUse } : {}), ...current });
  pick.items = fixed;
  // A name typed that is no listed profile is offered as it is.
  pick.onDidChangeValue((value) => {
    const name = value.trim();
    const known = profiles.some((p) => p.name === name);
    pick.items =
      name && !known && /^[\w.@+-]+$/.test(name)
        ? [{ label: name, description: 'use this profile name', run: 'profile', profile: name }, ...fixed]
        : fixed;
  });
  const choice = await new Promise<PickItem | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (!choice) return;
  if (choice.run === 'demo') return void vscode.commands.executeCommand('coldkeep.startDemo');
  if (choice.run === 'session') return void vscode.commands.executeCommand('coldkeep.startSession');
  if (choice.run === 'settings')
    return void vscode.commands.executeCommand('workbench.action.openSettings', 'coldkeep.');
  if (choice.run === 'create') {
    const terminal = vscode.window.createTerminal({ name: 'aws configure' });
    terminal.show();
    terminal.sendText('aws configure');
    return;
  }
  const profile = choice.profile ?? '';
  const region = await vscode.window.showInputBox({
    title: 'Coldkeep: region',
    prompt: 'Region of your tables, e.g. eu-west-1',
    value:
      config.get<string>('region') || profiles.find((p) => p.name === profile)?.region || process.env.AWS_REGION || '',
    validateInput: (v) =>
      !v.trim() || /^[a-z]{2}(-[a-z]+)+-\d$/.test(v.trim()) ? undefined : 'A region looks like eu-west-1.',
    ignoreFocusOut: true,
  });
  if (region === undefined) return;
  await config.update('profile', profile, vscode.ConfigurationTarget.Global);
  await config.update('region', region.trim(), vscode.ConfigurationTarget.Global);
  if (config.get<string>('bucket')) return;
  void vscode.window
    .showInformationMessage(
      'Coldkeep will use this profile. Set the backup bucket too, to see its backups.',
      'Open Settings',
    )
    .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettings', 'coldkeep.bucket'));
}
