import { join } from 'node:path';
import type { AwsSettings } from '../../base/aws/settings';
import { FileSecretStore } from '../../base/session/fileSecretStore';
import { MfaSession } from '../../base/session/mfaSession';
import { coldkeepConfigDir } from '../../base/state/configDir';
import { TerminalMfaPrompt } from './sessionPrompt';

/** The CLI's session for the profile in `settings`: the 0600 file store, the terminal prompt on a TTY. */
export function cliSession(settings: AwsSettings, env: NodeJS.ProcessEnv = process.env): MfaSession {
  const { credentials: _own, ...stsSettings } = settings;
  return new MfaSession({
    settings: stsSettings,
    ...(settings.profile ? { profile: settings.profile } : {}),
    store: new FileSecretStore(join(coldkeepConfigDir(env), 'secrets.json')),
    ...(process.stdin.isTTY ? { prompt: new TerminalMfaPrompt() } : {}),
    env,
  });
}
