import type { AwsSettings } from '../base/aws/settings';
import { ProfileCredentials } from '../base/session/profileCredentials';

/**
 * The credentials of every CLI command. A profile with mfa_serial gets its MFA session
 * (cached, or asked for on the terminal); anything else gets the SDK's usual chain.
 * Keys in the environment with no profile named are left to the SDK as they are.
 */
export class CliCredentials extends ProfileCredentials {
  constructor(settings: AwsSettings, env: NodeJS.ProcessEnv = process.env) {
    // STS and the session store load only for a profile with mfa_serial.
    super(settings, async () => (await import('./commands/cliSession.js')).cliSession(settings, env), env);
  }

  /** Undefined when the SDK's own default chain should be used unchanged. */
  static for(settings: AwsSettings, env: NodeJS.ProcessEnv = process.env): CliCredentials | undefined {
    return ProfileCredentials.needed(settings, env) ? new CliCredentials(settings, env) : undefined;
  }
}
