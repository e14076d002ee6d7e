import {
  type AwsClients,
  type AwsSettings,
  ColdkeepError,
  Connection as CoreConnection,
  type MfaSession,
  type MfaPrompt,
  type SecretStore,
} from '@coldkeep/shared';
import { awsSettingsFrom, type ExtensionSettings } from './settings';

/**
 * What the extension talks to: its settings, and the core's Connection built from them (the SDK
 * clients, and the MFA session, if any, with the input box as its prompt).
 */
export class Connection {
  readonly aws: AwsSettings;
  readonly clients: AwsClients;
  /** The core's connection, for the application layer's runJob. */
  readonly core: CoreConnection;
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
    this.core = new CoreConnection({
      settings: { ...awsSettingsFrom(settings, env), ...override },
      store,
      prompt,
      env,
    });
    this.aws = this.core.settings;
    this.clients = this.core.clients;
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
    return this.core.session();
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
    this.core.destroy();
  }
}
