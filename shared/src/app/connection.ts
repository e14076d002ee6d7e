import { AwsClients } from '../base/aws/clients';
import type { AwsSettings } from '../base/aws/settings';
import type { MfaPrompt } from '../base/session/mfaPrompt';
import type { MfaSession, OutliveCheck } from '../base/session/mfaSession';
import { ProfileCredentials } from '../base/session/profileCredentials';
import type { SecretStore } from '../base/session/secretStore';

/** What every front end hands a Connection: where and as whom, and how it keeps and asks for MFA codes. */
export interface ConnectionOptions {
  /** Profile, region and endpoints, as the front end read them (flags, settings, environment). */
  settings: AwsSettings;
  /** Where MFA sessions are kept; called only for a profile with mfa_serial. */
  store: SecretStore | (() => SecretStore);
  /**
   * The front end's way of asking for an MFA code (a terminal, an input box, a dialog). Without
   * one, an expired session is an error and a session that ends before a job is only reported.
   */
  prompt?: MfaPrompt;
  env?: NodeJS.ProcessEnv;
}

/** The MFA session of the profile in `settings`, as every front end makes it: STS at the same endpoints, no credentials of its own. */
export async function mfaSessionFor(options: ConnectionOptions): Promise<MfaSession> {
  const { MfaSession } = await import('../base/session/mfaSession.js');
  const { credentials: _own, onOperation: _hook, ...stsSettings } = options.settings;
  return new MfaSession({
    settings: stsSettings,
    ...(options.settings.profile ? { profile: options.settings.profile } : {}),
    store: typeof options.store === 'function' ? options.store() : options.store,
    ...(options.prompt ? { prompt: options.prompt } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
}

/** Whether the session lasts a job: what the front end shows when it does not. */
export interface SessionCheck extends OutliveCheck {
  /** The job's estimate the session was checked against. */
  estimateMs: number;
  /** The front end could not be asked for a code: `outlives: false` is then only a warning. */
  asked: boolean;
}

/**
 * Profile, region and endpoints turned into SDK clients, the same in every front end. A profile
 * with mfa_serial runs on its MFA session (cached, or a code asked for through the prompt); keys
 * in the environment with no profile named, and credentials given outright (the local demo's
 * emulators), are left to the SDK as they are; anything else gets the SDK's chain for the profile.
 */
export class Connection {
  readonly settings: AwsSettings;
  readonly clients: AwsClients;
  private readonly credentials?: ProfileCredentials;
  private readonly options: ConnectionOptions;

  constructor(options: ConnectionOptions) {
    this.options = options;
    const env = options.env ?? process.env;
    if (ProfileCredentials.needed(options.settings, env)) {
      // STS and the session store load only for a profile with mfa_serial.
      this.credentials = new ProfileCredentials(options.settings, () => mfaSessionFor(options), env);
      this.settings = { ...options.settings, credentials: this.credentials.provider };
    } else {
      this.settings = options.settings;
    }
    this.clients = new AwsClients(this.settings);
  }

  /** The region the clients use (the SDK's default when none is set). */
  get region(): string {
    return this.clients.region;
  }

  /** The MFA session behind the credentials, when the profile has mfa_serial. */
  async session(): Promise<MfaSession | undefined> {
    return this.credentials?.session();
  }

  /** The profile's MFA session whether or not the credentials use it (a session page shows why not). */
  mfaSession(): Promise<MfaSession> {
    return mfaSessionFor(this.options);
  }

  /**
   * Before a job expected to take `estimateMs`: on an MFA session, makes sure the session lasts
   * it, asking for a new code now rather than partway through. Without a prompt nobody is asked:
   * the check only says whether it lasts. Undefined when there is no MFA session.
   */
  async ensureSessionOutlives(estimateMs: number, signal?: AbortSignal): Promise<SessionCheck | undefined> {
    const session = await this.session();
    if (!session) return undefined;
    if (this.options.prompt) return { ...(await session.ensureValidFor(estimateMs, signal)), estimateMs, asked: true };
    const check = await session.outlivesWithoutAsking(estimateMs);
    if (!check) return undefined; // the job's first call says how to start one
    return { ...check, estimateMs, asked: false };
  }

  destroy(): void {
    this.clients.destroy();
  }
}
