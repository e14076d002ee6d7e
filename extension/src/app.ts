import {
  type AwsSetup,
  type AwsSettings,
  type CallerIdentity,
  ColdkeepError,
  getCallerIdentity,
  readSourceStatuses,
  ScheduleStore,
  type SourceStatus,
  type StatusSubject,
} from '@coldkeep/shared';
import * as vscode from 'vscode';
import { Connection } from './connection';
import type { Features } from './features/features';
import { InputBoxMfaPrompt } from './session/inputBoxMfaPrompt';
import { SecretStorageStore } from './session/secretStorageStore';
import { type ExtensionSettings, readSettings, SECTION } from './settings';
import { updateSetupContext } from './ui/setupContext';
import { ConnectionStatusBar } from './ui/statusBar';
import type { BackupsTree, TablesTree } from './views/treeProviders';

/**
 * The extension's state: the current connection (rebuilt when the settings change), the
 * local demo's override, the trees to refresh, the session status bar. Commands get it.
 */
export class ColdkeepApp implements vscode.Disposable {
  readonly store: SecretStorageStore;
  readonly prompt = new InputBoxMfaPrompt();
  readonly statusBar = new ConnectionStatusBar();
  /** Whether there is something to talk to AWS with (see ui/setupContext.ts); updated on reload. */
  setup: Promise<AwsSetup> = Promise.resolve({ ready: false });
  /** The last setup's answer, for what cannot wait (code actions). */
  awsReady = false;
  private identity?: { connection: Connection; value: Promise<CallerIdentity> };
  readonly output = vscode.window.createOutputChannel('Coldkeep');
  trees: { tables?: TablesTree; backups?: BackupsTree } = {};
  private current?: Connection;
  private settingsError?: unknown;
  private demo?: { settings: AwsSettings; bucket: string; stop: () => Promise<void> };

  constructor(
    context: vscode.ExtensionContext,
    readonly features: Features,
  ) {
    this.store = new SecretStorageStore(context.secrets);
    this.prompt.onAnswered = () => void this.refreshSession();
    this.statusBar.onExpired = (profile) => {
      void vscode.window
        .showWarningMessage(`The MFA session of "${profile}" has ended.`, 'Enter New Code')
        .then((choice) => choice && vscode.commands.executeCommand('coldkeep.startSession'));
    };
    context.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.reload();
      }),
    );
  }

  /**
   * The core's status of tables and folders (protected / needs attention / failing, last verified
   * restore) from the schedule folder the CLI and the desktop app share ($COLDKEEP_SCHEDULE_DIR,
   * else the config folder's) and its drill records.
   */
  sourceStatuses(subjects: StatusSubject[]): Promise<SourceStatus[]> {
    return readSourceStatuses(new ScheduleStore(), { subjects });
  }

  /** The connection for a command; a bad setting surfaces here as a clear error. */
  connection(): Connection {
    if (this.settingsError) throw this.settingsError;
    this.current ??= this.build();
    return this.current;
  }

  /**
   * The connection for a command that needs AWS: with nothing set up yet (no profile, no keys, no
   * demo) it fails at once with MissingCredentials or NoSuchProfile, whose buttons lead to setup.
   * The AWS files are read again: a profile made in a terminal since counts.
   */
  async awsConnection(): Promise<Connection> {
    const connection = this.connection();
    const setup = await this.checkSetup();
    if (!setup.ready)
      throw setup.problem ?? new ColdkeepError('MissingCredentials', 'Coldkeep has no AWS credentials yet.');
    return connection;
  }

  /**
   * Who the credentials are (STS GetCallerIdentity), once per connection: checks them before a
   * long form (Deploy) and fills a policy's account placeholders. A failure is not kept.
   */
  async callerIdentity(): Promise<CallerIdentity> {
    const connection = await this.awsConnection();
    if (connection.isDemo) {
      throw new ColdkeepError('Unavailable', 'The local demo has no AWS account.', {
        hint: 'Stop the local demo and choose a profile ({setting:profile}) to use a real account.',
      });
    }
    if (this.identity?.connection !== connection) {
      const value = getCallerIdentity(connection.aws);
      this.identity = { connection, value };
      value.catch(() => {
        if (this.identity?.value === value) this.identity = undefined;
      });
    }
    return this.identity.value;
  }

  private async checkSetup(): Promise<AwsSetup> {
    this.setup = updateSetupContext(this.current?.settings, !!this.demo);
    const setup = await this.setup;
    this.awsReady = setup.ready;
    void this.refreshSession();
    return setup;
  }

  /** The connection for the views: undefined when nothing is configured (the welcome views show). */
  viewConnection(): Connection | undefined {
    try {
      const connection = this.connection();
      return connection.isDemo || this.configured(connection.settings) ? connection : undefined;
    } catch {
      return undefined;
    }
  }

  private configured(settings: ExtensionSettings): boolean {
    const env = process.env;
    return !!(
      settings.profile ||
      settings.bucket ||
      settings.endpoint ||
      Object.keys(settings.endpoints).length ||
      env.AWS_PROFILE ||
      env.AWS_ACCESS_KEY_ID ||
      env.COLDKEEP_ENDPOINT_URL
    );
  }

  private build(): Connection {
    let settings = readSettings(vscode.workspace.getConfiguration(SECTION));
    if (this.demo) settings = { ...settings, bucket: this.demo.bucket, prefix: undefined };
    return new Connection(settings, this.store, this.prompt, process.env, this.demo?.settings);
  }

  /** Settings changed (or the demo started/stopped): new clients, fresh views. */
  reload(): void {
    this.current?.dispose();
    this.current = undefined;
    this.settingsError = undefined;
    try {
      this.current = this.build();
    } catch (err) {
      this.settingsError = err;
    }
    const connection = this.viewConnection();
    void vscode.commands.executeCommand('setContext', 'coldkeep.configured', !!connection);
    void vscode.commands.executeCommand('setContext', 'coldkeep.hasBucket', !!connection?.settings.bucket);
    void vscode.commands.executeCommand('setContext', 'coldkeep.demoRunning', !!this.demo);
    this.refreshViews();
    void this.checkSetup();
  }

  refreshViews(): void {
    this.trees.tables?.refresh();
    this.trees.backups?.refresh();
  }

  /** Updates the status bar from the setup and the stored session (no prompt, no AWS call). */
  async refreshSession(): Promise<void> {
    const connection = this.current;
    const setup: AwsSetup = await this.setup.catch(() => ({ ready: false }));
    if (!connection) return this.statusBar.show({ ready: false, demo: false, profile: '', region: '' });
    const state = {
      ready: setup.ready,
      demo: connection.isDemo,
      profile:
        connection.aws.profile ??
        process.env.AWS_PROFILE ??
        (setup.via === 'environment' ? 'environment keys' : 'default'),
      region: connection.clients.region,
    };
    try {
      const session = await connection.session();
      this.statusBar.show(
        session ? { ...state, profile: session.profile, session: { status: await session.status() } } : state,
      );
    } catch {
      this.statusBar.show(state);
    }
  }

  get demoRunning(): boolean {
    return !!this.demo;
  }

  async useDemo(demo: { settings: AwsSettings; bucket: string; stop: () => Promise<void> } | undefined): Promise<void> {
    const previous = this.demo;
    this.demo = demo;
    this.reload();
    if (previous && previous !== demo) await previous.stop();
  }

  dispose(): void {
    this.current?.dispose();
    this.statusBar.dispose();
    this.output.dispose();
    void this.demo?.stop();
  }
}
