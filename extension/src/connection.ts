import {
  AwsClients,
  type AwsSettings,
  ColdkeepError,
  MfaSession,
  type MfaPrompt,
  ProfileCredentials,
  type SecretStore,
} from '@coldkeep/shared';
import { awsSettingsFrom, type ExtensionSettings } from './settings';

/** What the extension talks to: the settings, the SDK clients built from them, and the MFA session, if any. */
export class Connection {
  readonly aws: AwsSettings;
  readonly clients: AwsClients;
  private readonly credentials?: ProfileCredentials;
  private readonly demo: boolean;

  constructor(
    readonly settings: ExtensionSettings,
    store: SecretStore,
    prompt: MfaPrompt,
    env: NodeJS.ProcessEnv = process.env,
    /** The local demo's emulators: their endpoints and keys win over everything. */
    override?: AwsSettings,
  ) {
    this.demo = !!override;
    const base = { ...awsSettingsFrom(settings, env), ...override };
    if (!override && ProfileCredentials.needed(base, env)) {
      const { credentials: _none, ...stsSettings } = base;
      this.credentials = new ProfileCredentials(
        base,
        () =>
          new MfaSession({
            settings: stsSettings,
            ...(base.profile ? { profile: base.profile } : {}),
            store,
            prompt,
            env,
          }),
        env,
      );
      this.aws = { ...base, credentials: this.credentials.provider };
    } else {
      this.aws = base;
    }
    this.clients = new AwsClients(this.aws);
  }

  /** A short name for where this connection points: "profile · region", "local demo", or an endpoint. */
  get label(): string {
    const region = this.clients.region;
    if (this.isDemo) return `local demo · ${region}`;
    return `${this.aws.profile ?? 'default'} · ${region}`;
  }

  /** Points at the local demo's emulators. */
  get isDemo(): boolean {
    return this.demo;
  }

  /** The MFA session behind the credentials, when the profile has mfa_serial. */
  async session(): Promise<MfaSession | undefined> {
    return this.credentials?.session();
  }

  /** The backup bucket, or a clear error saying where to set it. */
  bucket(): string {
    if (!this.settings.bucket) {
      throw new ColdkeepError('InvalidInput', 'No backup bucket is set.', {
        hint: 'Set {setting:bucket}, or deploy a backup bucket (the local demo has one).',
      });
    }
    return this.settings.bucket;
  }

  dispose(): void {
    this.clients.destroy();
  }
}
