import { type AwsSetup, awsSetup } from '@coldkeep/shared';
import * as vscode from 'vscode';
import { awsSettingsFrom, type ExtensionSettings } from '../settings';

/**
 * The context key `coldkeep.awsReady`: true once Coldkeep has something to talk to AWS with (a
 * profile, keys in the environment, an endpoint, or the local demo). package.json's `when`
 * clauses keep the commands that need AWS out of the palette until then; the welcome views and
 * the commands themselves lead to setup instead.
 */
export const AWS_READY = 'coldkeep.awsReady';

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
  await vscode.commands.executeCommand('setContext', AWS_READY, setup.ready);
  return setup;
}
