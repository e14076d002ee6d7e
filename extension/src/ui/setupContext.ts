import { type AwsSetup, awsSetup } from '@coldkeep/shared';
import * as vscode from 'vscode';
import { awsSettingsFrom, type ExtensionSettings } from '../settings';

/**
 * The context key `coldkeep.needsSetup`: true while Coldkeep has nothing to talk to AWS with (no
 * profile, no keys in the environment, no endpoint, no local demo). package.json's `when` clauses
 * keep the commands that need AWS out of the palette then; the welcome views and the commands
 * themselves lead to setup instead. Unset before the extension activates (shortly after start-up),
 * so a command is never hidden from someone who has a profile.
 */
export const NEEDS_SETUP = 'coldkeep.needsSetup';

/** Reads the settings, the environment and the AWS files (no network) and sets the context key. */
export async function updateSetupContext(
  settings: ExtensionSettings | undefined,
  demo: boolean,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AwsSetup> {
  const setup: AwsSetup = demo
    ? { ready: true, via: 'endpoint' }
    : settings
      ? await awsSetup(awsSettingsFrom(settings, env), env)
      : { ready: false };
  await vscode.commands.executeCommand('setContext', NEEDS_SETUP, !setup.ready);
  return setup;
}
