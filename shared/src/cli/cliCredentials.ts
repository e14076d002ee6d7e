import { join } from 'node:path';
import type { ConnectionOptions } from '../app/connection';
import { mfaSessionFor } from '../app/connection';
import type { AwsSettings } from '../base/aws/settings';
import { FileSecretStore } from '../base/session/fileSecretStore';
import type { MfaPrompt } from '../base/session/mfaPrompt';
import { ProfileCredentials } from '../base/session/profileCredentials';
import { coldkeepConfigDir } from '../base/state/configDir';

/**
 * How the CLI keeps and asks for MFA codes, for its Connection: the 0600 file store, and the
 * terminal prompt when there is a terminal (without one, an expired session is an error).
 */
export function cliSessionHooks(env: NodeJS.ProcessEnv = process.env): Pick<ConnectionOptions, 'store' | 'prompt'> {
  // The prompt's code loads only when a code is asked for.
  const terminal: MfaPrompt = {
    askCode: async (request, signal) =>
      new (await import('./commands/sessionPrompt.js')).TerminalMfaPrompt().askCode(request, signal),
  };
  return {
    store: () => new FileSecretStore(join(coldkeepConfigDir(env), 'secrets.json')),
    ...(process.stdin.isTTY ? { prompt: terminal } : {}),
  };
}

/**
 * The CLI connection's credentials on their own: a profile with mfa_serial gets its MFA
 * session (cached, or asked for on the terminal); anything else gets the SDK's usual chain.
 * Keys in the environment with no profile named are left to the SDK as they are.
 */
export class CliCredentials extends ProfileCredentials {
  constructor(settings: AwsSettings, env: NodeJS.ProcessEnv = process.env) {
    super(settings, () => mfaSessionFor({ settings, ...cliSessionHooks(env), env }), env);
  }

  /** Undefined when the SDK's own default chain should be used unchanged. */
  static for(settings: AwsSettings, env: NodeJS.ProcessEnv = process.env): CliCredentials | undefined {
    return ProfileCredentials.needed(settings, env) ? new CliCredentials(settings, env) : undefined;
  }
}
