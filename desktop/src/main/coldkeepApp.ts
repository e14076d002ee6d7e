import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type AwsClients,
  type AwsSettings,
  checkCron,
  type BackoffPolicy,
  backupRestorePoints,
  type BackupTarget,
  ColdkeepError,
  Connection,
  DrillRecords,
  drillTableRunner,
  folderPassphraseSecret,
  folderRunner,
  invalidParametersError,
  type JsonFileStore,
  listBackups,
  listTables,
  type MfaSession,
  mfaSessionFor,
  newSource,
  overallState,
  planRestore,
  readSourceStatuses,
  refuseShortSession as refuseShortSessionWith,
  reportOf,
  restoreEstimateMs,
  restoreSummary,
  restoreTable,
  runJob,
  type RunRecord,
  Scheduler,
  type SchedulerEvent,
  ScheduleStore,
  type SecretStore,
  type Source,
  type SourceStatus,
  statusKeyOf,
  type StackProgress,
  tableRunner,
} from '@coldkeep/shared';
import { desktopHint } from './hintWords';
import type {
  AppInfo,
  AppSettings,
  Deployment,
  ScheduleStatus,
  SessionView,
  SettingsView,
  SourceView,
  StackInput,
  StatusOverview,
} from '../ipc';
import { appSettingsStore, withoutBlanks } from './appSettings';
import { type DemoEnvironment, startDemo } from './demoMode';
import type { IpcHandlers } from './ipcHandlers';
import { IpcChannel } from '../ipc';
import { coreFolderBackups } from './folderBackups';
import type { FolderBackups, Stacks } from './services';
import { allJobs, type RunningJobs } from './lifecycle';
import { RestoreJobs } from './restoreJobs';

/** Where secrets go, and whether they can go there at all. */
export interface SecretStorage {
  store: SecretStore;
  /** Why secrets cannot be kept (no OS encryption), or undefined. */
  problem(): string | undefined;
}

export interface ColdkeepAppOptions {
  /** The app's data folder: settings.json, secrets, the demo emulators' data. */
  dataDir: string;
  /** The scheduler's folder; the one the CLI uses by default, so both see the same sources. */
  scheduleDir: string;
  appInfo: AppInfo;
  secrets: SecretStorage;
  /** The OS folder dialog; undefined when the user cancels. */
  pickFolder(): Promise<string | undefined>;
  /** Folder snapshots; the core's `files` module unless a test hands in another. */
  folderBackups?: FolderBackups;
  stacks: Stacks;
  /** Told of every scheduler event (tray icon, notifications). */
  onEvent?: (event: SchedulerEvent) => void;
  /** Told when settings change (start at login). */
  onSettings?: (settings: AppSettings) => void;
  retry?: BackoffPolicy;
  env?: NodeJS.ProcessEnv;
}

/**
 * Everything the desktop app does, without Electron: settings, the scheduler and its runners, the
 * AWS clients for the current settings (or the demo emulators), and the handler of every IPC
 * channel. main.ts hands it the real dialog and safeStorage; tests hand it small fakes and drive
 * the same handlers from a real page.
 */
export class ColdkeepApp {
  readonly scheduler: Scheduler;
  /** Restores started from the window (cancellable; the quit guard waits for them too). */
  readonly restores = new RestoreJobs();
  /** Scheduled runs and window restores together, as quitting sees them. */
  readonly jobs: RunningJobs;
  readonly store: ScheduleStore;
  private readonly options: ColdkeepAppOptions;
  private readonly folderBackups: FolderBackups;
  private readonly settingsStore: JsonFileStore<AppSettings>;
  private readonly deployments = new Map<string, Deployment>();
  private settingsValue!: AppSettings;
  private demo: DemoEnvironment | undefined;
  private connectionValue: Connection | undefined;
  private lastRunValue: RunRecord | undefined;

  private constructor(options: ColdkeepAppOptions) {
    this.options = options;
    this.folderBackups = options.folderBackups ?? coreFolderBackups;
    this.settingsStore = appSettingsStore(options.dataDir);
    this.store = new ScheduleStore(options.scheduleDir);
    const target = async () => this.backupTarget();
    this.scheduler = new Scheduler({
      store: this.store,
      runners: {
        table: tableRunner(target),
        folder: folderRunner(target, this.folderBackups.backupFolder),
        // Drill sources (added with the CLI's "schedule add --drill") run here too; their records go beside the history.
        drillTable: drillTableRunner(target, new DrillRecords(join(options.scheduleDir, 'drills.json'))),
      },
      ...(options.retry ? { retry: options.retry } : {}),
      onEvent: (event) => {
        if (event.type === 'run-finished') this.lastRunValue = event.run;
        options.onEvent?.(event);
      },
    });
    this.jobs = allJobs(this.scheduler, this.restores);
  }

  static async open(options: ColdkeepAppOptions): Promise<ColdkeepApp> {
    const app = new ColdkeepApp(options);
    app.settingsValue = await app.settingsStore.read();
    app.lastRunValue = (await app.store.history({ limit: 1 }))[0];
    if (app.settingsValue.demoMode) app.demo = await startDemo(options.dataDir);
    return app;
  }

  /** Arms the schedules and catches up what was missed while the app was closed. */
  async start(): Promise<void> {
    await this.scheduler.start();
  }

  /** Stops the timers, the clients and the demo emulators (runs should be cancelled or done first). */
  async close(): Promise<void> {
    this.scheduler.stop();
    this.connectionValue?.destroy();
    this.connectionValue = undefined;
    await this.demo?.emulators.stop();
    this.demo = undefined;
  }

  get settings(): AppSettings {
    return this.settingsValue;
  }

  get lastRun(): RunRecord | undefined {
    return this.lastRunValue;
  }

  async sources(): Promise<Source[]> {
    return this.store.sources();
  }

  /**
   * The connection for the current settings (or the demo's emulators), made once and reused until
   * the settings change: the core's Connection, as in the CLI and the extension. A profile with
   * mfa_serial runs on its MFA session (Settings → Enter MFA code); keys in the environment with
   * no profile named are used as they are.
   */
  connection(): Connection {
    this.connectionValue ??= new Connection({
      settings: this.demo ? this.demo.emulators.settings : this.awsSettings(),
      store: this.options.secrets.store,
      ...(this.options.env ? { env: this.options.env } : {}),
    });
    return this.connectionValue;
  }

  /** The AWS clients of the current connection. */
  async clients(): Promise<AwsClients> {
    return this.connection().clients;
  }

  private awsSettings(): AwsSettings {
    return {
      ...(this.settingsValue.region ? { region: this.settingsValue.region } : {}),
      ...(this.settingsValue.profile ? { profile: this.settingsValue.profile } : {}),
    };
  }

  private async backupTarget(): Promise<BackupTarget> {
    const bucket = this.demo?.bucket ?? this.settingsValue.bucket;
    if (!bucket) {
      throw new ColdkeepError('InvalidInput', 'No bucket is set to back up to.', {
        hint: 'Open Coldkeep → Settings and enter the bucket (or turn on demo mode to try it locally).',
      });
    }
    const prefix = this.demo ? undefined : this.settingsValue.prefix;
    const connection = this.connection();
    return {
      clients: connection.clients,
      bucket,
      ...(prefix ? { prefix } : {}),
      connection,
      onSession: refuseShortSession,
      // An encrypted source's passphrase, kept by the OS (safeStorage) like the MFA session.
      folderKeys: async (sourceId) => {
        const passphrase = await this.options.secrets.store.get(folderPassphraseSecret(sourceId));
        return passphrase ? { passphrase } : undefined;
      },
    };
  }

  /** The settings' profile's MFA session, for the Settings page (whether or not the credentials use it). */
  private mfaSession(): Promise<MfaSession> {
    return mfaSessionFor({
      settings: this.awsSettings(),
      store: this.options.secrets.store,
      ...(this.options.env ? { env: this.options.env } : {}),
    });
  }

  private resetClients(): void {
    this.connectionValue?.destroy();
    this.connectionValue = undefined;
  }

  private settingsView(): SettingsView {
    const problem = this.options.secrets.problem();
    return {
      settings: this.settingsValue,
      secretStorage: problem ? { available: false, reason: problem } : { available: true },
      ...(this.demo
        ? {
            demo: {
              bucket: this.demo.bucket,
              table: this.demo.table,
              endpoints: { ...this.demo.emulators.endpoints },
            },
          }
        : {}),
    };
  }

  private async saveSettings(change: Partial<AppSettings>): Promise<SettingsView> {
    this.settingsValue = await this.settingsStore.update((current) => withoutBlanks({ ...current, ...change }));
    this.resetClients();
    this.options.onSettings?.(this.settingsValue);
    return this.settingsView();
  }

  private async setDemoMode(enabled: boolean): Promise<SettingsView> {
    if (this.scheduler.isRunning) {
      throw new ColdkeepError('RunInProgress', 'A backup is running.', {
        hint: 'Switch demo mode when it has finished (or cancel it from the tray).',
      });
    }
    if (enabled && !this.demo) this.demo = await startDemo(this.options.dataDir);
    if (!enabled && this.demo) {
      await this.demo.emulators.stop();
      this.demo = undefined;
    }
    return this.saveSettings({ demoMode: enabled });
  }

  private async sessionView(): Promise<SessionView> {
    const session = await this.mfaSession();
    const view: SessionView = { profile: session.profile };
    try {
      view.mfaDevice = (await session.mfaProfile()).mfaSerial;
    } catch (err) {
      view.problem = err instanceof ColdkeepError ? `${err.message} ${desktopHint(err) ?? ''}`.trim() : String(err);
      return view;
    }
    const status = await session.status().catch(() => undefined);
    if (status) view.session = { valid: !status.expired, expiresAt: status.expiresAt, mode: status.mode };
    return view;
  }

  /**
   * The core's status of each table and folder of the schedule (from its history and the drill
   * records in the schedule folder, which the CLI's drills write too), with the ids of its sources.
   */
  async statusOverview(sourceId?: string): Promise<StatusOverview> {
    const [sources, statuses] = await Promise.all([this.store.sources(), readSourceStatuses(this.store)]);
    const wanted = sourceId === undefined ? undefined : statusKeyOf(await this.store.source(sourceId));
    const items = statuses
      .filter((status) => wanted === undefined || status.key === wanted)
      .map((status) => ({
        status,
        sourceIds: sources.filter((s) => statusKeyOf(s) === status.key).map((s) => s.id),
      }));
    return { overall: overallState(items.map((i) => i.status)), sources: items };
  }

  async sourceViews(): Promise<SourceView[]> {
    const [sources, history, statuses] = await Promise.all([
      this.store.sources(),
      this.store.history(),
      readSourceStatuses(this.store),
    ]);
    const byKey = new Map<string, SourceStatus>(statuses.map((s) => [s.key, s]));
    const running = new Set(this.scheduler.runningSourceIds());
    return sources.map((source) => {
      const next = this.scheduler.nextRunAt(source.id);
      const lastRun = history.find((r) => r.sourceId === source.id);
      return {
        source,
        status: byKey.get(statusKeyOf(source))!,
        running: running.has(source.id),
        ...(next ? { nextRunAt: next.toISOString() } : {}),
        ...(lastRun ? { lastRun } : {}),
      };
    });
  }

  private async sourceView(id: string): Promise<SourceView> {
    const view = (await this.sourceViews()).find((v) => v.source.id === id);
    if (!view) await this.store.source(id); // throws NoSuchSource
    return view!;
  }

  private scheduleStatus(): ScheduleStatus {
    return {
      paused: this.scheduler.isPaused,
      running: this.scheduler.runningSourceIds(),
      ...(this.lastRunValue ? { lastRun: this.lastRunValue } : {}),
    };
  }

  private startDeployment(input: StackInput): Deployment {
    const deployment: Deployment = {
      deploymentId: randomUUID(),
      template: input.template,
      stackName: input.stackName,
      state: 'running',
      phase: 'starting',
      changes: [],
      events: [],
      outputs: [],
    };
    this.deployments.set(deployment.deploymentId, deployment);
    void (async () => {
      try {
        const result = await this.options.stacks.deployStack(await this.clients(), input, {
          onProgress: (progress) => recordProgress(deployment, progress),
        });
        deployment.phase = 'done';
        deployment.changes = result.changes;
        deployment.noChanges = result.noChanges;
        if (result.status) deployment.status = result.status;
        deployment.outputs = result.outputs;
        deployment.state = 'succeeded';
      } catch (err) {
        deployment.state = 'failed';
        deployment.error =
          err instanceof ColdkeepError
            ? { code: err.code, message: err.message, ...(err.hint ? { hint: desktopHint(err)! } : {}) }
            : { code: 'Unexpected', message: err instanceof Error ? err.message : String(err) };
      }
    })();
    return deployment;
  }

  /** The template's own checks in main, before any AWS call: the page's checks are a convenience. */
  private async checkStackInput(input: StackInput): Promise<void> {
    const problems = await this.options.stacks.validateParameters(input.template, input.parameters);
    if (problems.length) throw invalidParametersError(problems);
  }

  /** The handler of every IPC channel; inputs arrive validated (see ipcHandlers.ts). */
  handlers(): IpcHandlers {
    const { folderBackups } = this;
    const { stacks } = this.options;
    return {
      [IpcChannel.GetAppInfo]: () => this.options.appInfo,
      [IpcChannel.GetSettings]: () => this.settingsView(),
      [IpcChannel.SaveSettings]: (input) => this.saveSettings(input),
      [IpcChannel.SetDemoMode]: ({ enabled }) => this.setDemoMode(enabled),
      [IpcChannel.SessionStatus]: () => this.sessionView(),
      [IpcChannel.StartSession]: async ({ code }) => {
        await (await this.mfaSession()).start({ code, renew: true });
        this.resetClients();
        return this.sessionView();
      },
      [IpcChannel.ListSources]: () => this.sourceViews(),
      [IpcChannel.AddSource]: async (input) => {
        const source = await this.store.addSource(newSource(input));
        await this.scheduler.reload();
        return this.sourceView(source.id);
      },
      [IpcChannel.UpdateSource]: async ({ id, cron, enabled }) => {
        const checked = cron === undefined ? undefined : checkCron(cron);
        await this.store.updateSource(id, (s) => ({
          ...s,
          ...(checked !== undefined ? { cron: checked } : {}),
          ...(enabled !== undefined ? { enabled } : {}),
        }));
        await this.scheduler.reload();
        return this.sourceView(id);
      },
      [IpcChannel.RemoveSource]: async ({ id }) => {
        await this.store.removeSource(id);
        await this.scheduler.reload();
        return null;
      },
      [IpcChannel.PickFolder]: async () => ({ dir: (await this.options.pickFolder()) ?? null }),
      [IpcChannel.ListTables]: async () => listTables((await this.clients()).dynamodb),
      [IpcChannel.ScheduleStatus]: () => this.scheduleStatus(),
      [IpcChannel.SetPaused]: async ({ paused }) => {
        await this.scheduler.setPaused(paused);
        return this.scheduleStatus();
      },
      [IpcChannel.BackUpNow]: async ({ sourceId }) =>
        sourceId ? [await this.scheduler.runNow(sourceId)] : this.scheduler.runAll(),
      [IpcChannel.ListHistory]: (query) => this.store.history(query),
      [IpcChannel.GetRun]: async ({ runId }) => {
        const run = await this.store.run(runId);
        if (!run) throw new ColdkeepError('InvalidInput', `There is no run ${runId} in the history.`);
        return run;
      },
      [IpcChannel.ListRestorePoints]: async ({ sourceId }) => {
        const source = await this.store.source(sourceId);
        const { clients, bucket, prefix } = await this.backupTarget();
        if (source.kind === 'folder') {
          return folderBackups.listSnapshots(clients, { bucket, source: source.id, ...(prefix ? { prefix } : {}) });
        }
        const { backups } = await listBackups(clients.s3, {
          bucket,
          table: source.table,
          ...(prefix ? { prefix } : {}),
        });
        return backupRestorePoints(backups);
      },
      [IpcChannel.Restore]: async ({ sourceId, restorePoint, target, overwrite }) => {
        const source = await this.store.source(sourceId);
        const { clients, bucket, prefix } = await this.backupTarget();
        return this.restores.run(sourceId, async (signal) => {
          if (source.kind === 'folder') {
            return folderBackups.restoreSnapshot(
              clients,
              {
                bucket,
                source: source.id,
                snapshotId: restorePoint,
                target,
                ...(prefix ? { prefix } : {}),
                ...(overwrite ? { overwrite } : {}),
              },
              { signal },
            );
          }
          const input = {
            source: { bucket, table: source.table, backupId: restorePoint, ...(prefix ? { prefix } : {}) },
            target,
            ...(overwrite ? { overwrite } : {}),
          };
          const result = await runJob(
            this.connection(),
            {
              what: `Restore of ${source.table} ${restorePoint} into ${target}`,
              estimateMs: async () => {
                const plan = await planRestore(clients.s3, input.source).catch(() => undefined);
                return plan && restoreEstimateMs(plan);
              },
              run: (job) => restoreTable(clients, input, job),
              summary: restoreSummary,
            },
            { signal, onSession: refuseShortSession },
          );
          const report = reportOf(result);
          return { summary: `${report.itemsWritten} items written to ${report.target}`, report: { ...report } };
        });
      },
      [IpcChannel.CancelRestore]: ({ sourceId }) => ({ cancelled: this.restores.cancel(sourceId) }),
      [IpcChannel.ListTemplates]: () => stacks.listTemplates(),
      [IpcChannel.TemplateParameters]: ({ template }) => stacks.templateParameters(template),
      [IpcChannel.PreviewStack]: async (input) => {
        await this.checkStackInput(input);
        return stacks.previewChangeSet(await this.clients(), input, {});
      },
      [IpcChannel.DeployStack]: async (input) => {
        await this.checkStackInput(input);
        return { deploymentId: this.startDeployment(input).deploymentId };
      },
      [IpcChannel.GetDeployment]: ({ deploymentId }) => {
        const deployment = this.deployments.get(deploymentId);
        if (!deployment) throw new ColdkeepError('InvalidInput', `There is no deployment ${deploymentId}.`);
        return { ...deployment, changes: [...deployment.changes], events: [...deployment.events] };
      },
      [IpcChannel.GetStatus]: ({ sourceId }) => this.statusOverview(sourceId),
    };
  }
}

/**
 * The desktop app cannot ask for a code in the middle of a job (the code is entered under
 * Settings), so a job its MFA session would not outlive is refused before it starts, not cut
 * off partway.
 */
const refuseShortSession = refuseShortSessionWith('Enter a new MFA code under Settings, then start it again.');

/** A deployment's view of the core's progress: the phase it is in, the changes, each event. */
export function recordProgress(deployment: Deployment, progress: StackProgress): void {
  switch (progress.phase) {
    case 'event':
      deployment.events.push(progress.event);
      return;
    case 'change-set':
      deployment.changeSetType = progress.changeSetType;
      break;
    case 'changes':
      deployment.changes = progress.changes;
      break;
    case 'done':
      deployment.status = progress.status;
      break;
  }
  deployment.phase = progress.phase;
}
