import type { AwsSettings } from '@coldkeep/shared';
import * as vscode from 'vscode';
import { Connection } from './connection';
import type { Features } from './features/features';
import { InputBoxMfaPrompt } from './session/inputBoxMfaPrompt';
import { SecretStorageStore } from './session/secretStorageStore';
import { SessionStatusBar } from './session/sessionStatusBar';
import { type ExtensionSettings, readSettings, SECTION } from './settings';
import type { BackupsTree, TablesTree } from './views/treeProviders';

/**
 * The extension's state: the current connection (rebuilt when the settings change), the
 * local demo's override, the trees to refresh, the session status bar. Commands get it.
 */
export class ColdkeepApp implements vscode.Disposable {
  readonly store: SecretStorageStore;
  readonly prompt = new InputBoxMfaPrompt();
  readonly statusBar = new SessionStatusBar();
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

  /** The connection for a command; a bad setting surfaces here as a clear error. */
  connection(): Connection {
    if (this.settingsError) throw this.settingsError;
    this.current ??= this.build();
    return this.current;
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
    void this.refreshSession();
  }

  refreshViews(): void {
    this.trees.tables?.refresh();
    this.trees.backups?.refresh();
  }

  /** Updates the status bar from the stored session (no prompt, no AWS call). */
  async refreshSession(): Promise<void> {
    try {
      const session = await this.current?.session();
      if (!session) return this.statusBar.show(undefined, undefined);
      this.statusBar.show(await session.status(), session.profile);
    } catch {
      this.statusBar.show(undefined, undefined);
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
