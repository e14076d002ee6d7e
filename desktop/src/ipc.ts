/**
 * The contract between the main process, the preload and the renderer, in one file: every IPC
 * channel with its input and output, and the API the preload exposes to the page as
 * `window.coldkeep`. Main validates every input against `main/ipcInputs.ts`, whose schemas are
 * checked against the input types here at compile time.
 *
 * Every call answers with an `IpcResult` envelope rather than a thrown error: Electron flattens a
 * thrown error to a message, and the page needs the code and hint.
 */
import type {
  RunRecord,
  Source,
  SourceState,
  SourceStatus,
  StackChange,
  StackEvent,
  StackOutput,
  TemplateParameter,
  TemplateSummary,
} from '@coldkeep/shared';

// The stacks types are the core's own: the page shows what the stacks module reports, unchanged.
export type { RunRecord, Source, SourceState, SourceStatus, StackEvent, StackOutput, TemplateParameter };

export const enum IpcChannel {
  GetAppInfo = 'coldkeep:get-app-info',
  GetSettings = 'coldkeep:settings-get',
  SaveSettings = 'coldkeep:settings-save',
  SetDemoMode = 'coldkeep:demo-set',
  SessionStatus = 'coldkeep:session-status',
  StartSession = 'coldkeep:session-start',
  ListSources = 'coldkeep:sources-list',
  AddSource = 'coldkeep:sources-add',
  UpdateSource = 'coldkeep:sources-update',
  RemoveSource = 'coldkeep:sources-remove',
  PickFolder = 'coldkeep:dialog-pick-folder',
  ListTables = 'coldkeep:tables-list',
  ScheduleStatus = 'coldkeep:schedule-status',
  SetPaused = 'coldkeep:schedule-set-paused',
  BackUpNow = 'coldkeep:backup-now',
  ListHistory = 'coldkeep:history-list',
  GetRun = 'coldkeep:history-get',
  ListRestorePoints = 'coldkeep:restore-points',
  Restore = 'coldkeep:restore-run',
  CancelRestore = 'coldkeep:restore-cancel',
  ListTemplates = 'coldkeep:stacks-templates',
  TemplateParameters = 'coldkeep:stacks-parameters',
  PreviewStack = 'coldkeep:stacks-preview',
  DeployStack = 'coldkeep:stacks-deploy',
  GetDeployment = 'coldkeep:stacks-deployment',
  GetStatus = 'coldkeep:status-get',
}

export interface AppInfo {
  name: string;
  version: string;
  electronVersion: string;
  platform: string;
}

export type NotifyWhen = 'all' | 'failures' | 'none';
export type QuitDuringJob = 'ask' | 'cancel' | 'wait';

/** What the user sets in Settings. */
export interface AppSettings {
  profile?: string;
  region?: string;
  bucket?: string;
  prefix?: string;
  demoMode: boolean;
  startAtLogin: boolean;
  notifications: NotifyWhen;
  quitDuringJob: QuitDuringJob;
}

export interface SettingsView {
  settings: AppSettings;
  /** Whether secrets (MFA sessions) can be kept: the OS offers encryption to safeStorage. */
  secretStorage: { available: boolean; reason?: string };
  /** Set while demo mode runs: where the embedded emulators listen. */
  demo?: { bucket: string; table: string; endpoints: Record<string, string> };
}

export interface SessionView {
  profile: string;
  /** The MFA device of the profile (mfa_serial), when it has one. */
  mfaDevice?: string;
  /** Why MFA is not possible for this profile, when it is not. */
  problem?: string;
  session?: { valid: boolean; expiresAt: string; mode: string };
}

export interface SourceView {
  source: Source;
  nextRunAt?: string;
  running: boolean;
  lastRun?: RunRecord;
  /** The core's status of its table or folder: state and reasons, last good backup, last verified restore. */
  status: SourceStatus;
}

/** "Is everything protected?": the worst state, and each table or folder's status with the ids of its sources. */
export interface StatusOverview {
  overall: SourceState;
  sources: { sourceIds: string[]; status: SourceStatus }[];
}

export type NewSourceInput =
  | { kind: 'table'; table: string; cron?: string; engine?: 'auto' | 'scan' | 'export'; incremental?: boolean }
  | { kind: 'folder'; dir: string; cron?: string; excludes?: string[] };

export interface ScheduleStatus {
  paused: boolean;
  running: string[];
  lastRun?: RunRecord;
}

export interface RestorePoint {
  /** A table backup's id or a folder snapshot's id. */
  id: string;
  createdAt: string;
  summary: string;
}

export interface RestoreInput {
  sourceId: string;
  restorePoint: string;
  /** A table name (tables) or a folder (folders). */
  target: string;
  overwrite?: boolean;
}

export interface RestoreResult {
  summary: string;
  report: Record<string, unknown>;
}

/** A bundled template, as the template picker shows it (its parameters come with TemplateParameters). */
export type TemplateInfo = Pick<TemplateSummary, 'name' | 'description' | 'defaultStackName' | 'needsLambdaBundle'>;

export interface StackInput {
  template: string;
  stackName: string;
  parameters: Record<string, string>;
}

/** One resource change of the change set. */
export type ChangePreview = StackChange;

/** Where a deployment is: the steps of the core's deployStack, in order. */
export type DeploymentPhase = 'starting' | 'upload' | 'change-set' | 'changes' | 'execute' | 'done';

export interface Deployment {
  deploymentId: string;
  template: string;
  stackName: string;
  state: 'running' | 'succeeded' | 'failed';
  phase: DeploymentPhase;
  /** CREATE for a new stack, UPDATE for an existing one (known once the change set is made). */
  changeSetType?: 'CREATE' | 'UPDATE';
  /** The changes executed (known once the change set is ready). */
  changes: ChangePreview[];
  events: StackEvent[];
  /** The stack's status at the end, e.g. CREATE_COMPLETE. */
  status?: string;
  /** An update that would change nothing: nothing was executed. */
  noChanges?: boolean;
  outputs: StackOutput[];
  error?: IpcError;
}

export interface IpcError {
  code: string;
  message: string;
  hint?: string;
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** Each channel's input (undefined: none) and output. */
export interface IpcContract {
  [IpcChannel.GetAppInfo]: { input: undefined; output: AppInfo };
  [IpcChannel.GetSettings]: { input: undefined; output: SettingsView };
  [IpcChannel.SaveSettings]: { input: Partial<Omit<AppSettings, 'demoMode'>>; output: SettingsView };
  [IpcChannel.SetDemoMode]: { input: { enabled: boolean }; output: SettingsView };
  [IpcChannel.SessionStatus]: { input: undefined; output: SessionView };
  [IpcChannel.StartSession]: { input: { code: string }; output: SessionView };
  [IpcChannel.ListSources]: { input: undefined; output: SourceView[] };
  [IpcChannel.AddSource]: { input: NewSourceInput; output: SourceView };
  [IpcChannel.UpdateSource]: { input: { id: string; cron?: string; enabled?: boolean }; output: SourceView };
  [IpcChannel.RemoveSource]: { input: { id: string }; output: null };
  [IpcChannel.PickFolder]: { input: undefined; output: { dir: string | null } };
  [IpcChannel.ListTables]: { input: undefined; output: string[] };
  [IpcChannel.ScheduleStatus]: { input: undefined; output: ScheduleStatus };
  [IpcChannel.SetPaused]: { input: { paused: boolean }; output: ScheduleStatus };
  [IpcChannel.BackUpNow]: { input: { sourceId?: string }; output: RunRecord[] };
  [IpcChannel.ListHistory]: { input: { sourceId?: string; limit?: number }; output: RunRecord[] };
  [IpcChannel.GetRun]: { input: { runId: string }; output: RunRecord };
  [IpcChannel.ListRestorePoints]: { input: { sourceId: string }; output: RestorePoint[] };
  [IpcChannel.Restore]: { input: RestoreInput; output: RestoreResult };
  /** Cancels the running restore of a source; `cancelled` is false when none was running. */
  [IpcChannel.CancelRestore]: { input: { sourceId: string }; output: { cancelled: boolean } };
  [IpcChannel.ListTemplates]: { input: undefined; output: TemplateInfo[] };
  [IpcChannel.TemplateParameters]: { input: { template: string }; output: TemplateParameter[] };
  [IpcChannel.PreviewStack]: { input: StackInput; output: ChangePreview[] };
  [IpcChannel.DeployStack]: { input: StackInput; output: { deploymentId: string } };
  [IpcChannel.GetDeployment]: { input: { deploymentId: string }; output: Deployment };
  /** The status of every table and folder of the schedule, or of one source's (its backup and drill sources share it). */
  [IpcChannel.GetStatus]: { input: { sourceId?: string }; output: StatusOverview };
}

export type IpcInput<C extends IpcChannel> = IpcContract[C]['input'];
export type IpcOutput<C extends IpcChannel> = IpcContract[C]['output'];

/** The page's API: one method per channel. */
export const apiMethods = {
  getAppInfo: IpcChannel.GetAppInfo,
  getSettings: IpcChannel.GetSettings,
  saveSettings: IpcChannel.SaveSettings,
  setDemoMode: IpcChannel.SetDemoMode,
  sessionStatus: IpcChannel.SessionStatus,
  startSession: IpcChannel.StartSession,
  listSources: IpcChannel.ListSources,
  addSource: IpcChannel.AddSource,
  updateSource: IpcChannel.UpdateSource,
  removeSource: IpcChannel.RemoveSource,
  pickFolder: IpcChannel.PickFolder,
  listTables: IpcChannel.ListTables,
  scheduleStatus: IpcChannel.ScheduleStatus,
  setPaused: IpcChannel.SetPaused,
  backUpNow: IpcChannel.BackUpNow,
  listHistory: IpcChannel.ListHistory,
  getRun: IpcChannel.GetRun,
  listRestorePoints: IpcChannel.ListRestorePoints,
  restore: IpcChannel.Restore,
  cancelRestore: IpcChannel.CancelRestore,
  listTemplates: IpcChannel.ListTemplates,
  templateParameters: IpcChannel.TemplateParameters,
  previewStack: IpcChannel.PreviewStack,
  deployStack: IpcChannel.DeployStack,
  getDeployment: IpcChannel.GetDeployment,
  getStatus: IpcChannel.GetStatus,
} as const;

type Methods = typeof apiMethods;

export type ColdkeepApi = {
  [M in keyof Methods]: IpcInput<Methods[M]> extends undefined
    ? () => Promise<IpcOutput<Methods[M]>>
    : (input: IpcInput<Methods[M]>) => Promise<IpcOutput<Methods[M]>>;
};

export const ALL_CHANNELS: readonly IpcChannel[] = Object.values(apiMethods);

/** An error from main, as the page sees it: the code and hint survive the trip. */
export class ApiError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(error: IpcError) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.hint = error.hint;
  }
}

export type Invoke = (channel: IpcChannel, input: unknown) => Promise<unknown>;

/** The page's API over any `invoke`: ipcRenderer's in the preload, a test harness's in tests. */
export function makeApi(invoke: Invoke): ColdkeepApi {
  const api: Record<string, (input?: unknown) => Promise<unknown>> = {};
  for (const [method, channel] of Object.entries(apiMethods)) {
    api[method] = async (input?: unknown) => {
      const result = (await invoke(channel, input)) as IpcResult<unknown>;
      if (!result.ok) throw new ApiError(result.error);
      return result.value;
    };
  }
  return Object.freeze(api) as unknown as ColdkeepApi;
}
