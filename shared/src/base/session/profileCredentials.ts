import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { AwsSettings } from '../aws/settings';
import { findAwsProfile, profileName } from './awsProfile';
import type { MfaSession } from './mfaSession';

/**
 * The credentials of a front end for the profile in its settings. A profile with mfa_serial
 * gets an MFA session (made by the front end: its own secret store and prompt); anything
 * else gets the SDK's usual chain.
 */
export class ProfileCredentials {
  private resolved?: Promise<{ session?: MfaSession; provider: AwsCredentialIdentityProvider }>;

  constructor(
    protected readonly settings: AwsSettings,
    /** May load the session code itself: it is needed only for a profile with mfa_serial. */
    private readonly makeSession: () => MfaSession | Promise<MfaSession>,
    protected readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /**
   * False when the SDK's own default chain should be used unchanged: credentials given
   * outright, or keys in the environment with no profile named.
   */
  static needed(settings: AwsSettings, env: NodeJS.ProcessEnv = process.env): boolean {
    if (settings.credentials) return false;
    return !(!settings.profile && env.AWS_ACCESS_KEY_ID);
  }

  readonly provider: AwsCredentialIdentityProvider = async (props) => (await this.resolve()).provider(props);

  /** The MFA session behind the credentials, if the profile has mfa_serial. */
  async session(): Promise<MfaSession | undefined> {
    return (await this.resolve()).session;
  }

  private resolve(): Promise<{ session?: MfaSession; provider: AwsCredentialIdentityProvider }> {
    this.resolved ??= (async () => {
      const profile = await findAwsProfile(profileName(this.settings.profile, this.env), this.env);
      if (profile?.mfaSerial) {
        const session = await this.makeSession();
        return { session, provider: () => session.credentials() };
      }
      return { provider: fromNodeProviderChain(this.settings.profile ? { profile: this.settings.profile } : {}) };
    })();
    return this.resolved.catch((err: unknown) => {
      this.resolved = undefined;
      throw err;
    });
  }
}
