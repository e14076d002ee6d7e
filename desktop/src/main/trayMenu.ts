import type { MenuItemConstructorOptions } from 'electron';
import { type JobStatus, type RunRecord, type SourceState, stateText, statusWord } from '@coldkeep/shared';

export interface LastResult {
  /** The run's status as the core decided it: only `succeeded` is shown as a success. */
  status: JobStatus;
  finishedAt: Date;
  /** Which source, and one line about it, e.g. "orders: 1,200 items, 3.1 MB". */
  summary: string;
}

export interface TraySource {
  id: string;
  name: string;
  running: boolean;
  /** The core's status of its table or folder (see sourceStatus): its state, and the first reason in words. */
  status?: { state: SourceState; headline: string };
}

export interface TrayState {
  sources: TraySource[];
  paused: boolean;
  lastResult?: LastResult;
  /** The core's overall state of the sources ("is everything protected?"); it decides the icon when known. */
  overall?: SourceState;
}

export interface TrayActions {
  backUpAll(): void;
  backUpSource(sourceId: string): void;
  setPaused(paused: boolean): void;
  openWindow(): void;
  quit(): void;
}

export type TrayIconState = 'idle' | 'running' | 'warning' | 'error';

/** The tray's last result from a finished run. */
export function lastResultOf(run: RunRecord): LastResult {
  const detail =
    run.status === 'succeeded' || run.status === 'partial'
      ? (run.result?.summary ?? '')
      : (run.error?.message ?? run.status);
  return { status: run.status, finishedAt: new Date(run.finishedAt), summary: `${run.sourceName}: ${detail}` };
}

export function isRunning(state: TrayState): boolean {
  return state.sources.some((s) => s.running);
}

/**
 * Running wins; else the core's overall state decides (failing: error; needs attention: warning),
 * the same state the window and the CLI show. Without it, the last result: an error (or the
 * warning of a partial run) stays shown until a run succeeds. A cancelled run changes nothing.
 */
export function trayIconState(state: TrayState): TrayIconState {
  if (isRunning(state)) return 'running';
  if (state.overall) return state.overall === 'failing' ? 'error' : state.overall === 'attention' ? 'warning' : 'idle';
  if (state.lastResult?.status === 'failed') return 'error';
  if (state.lastResult?.status === 'partial') return 'warning';
  return 'idle';
}

/** The tray's context menu for a state; rebuilt whenever the state changes. */
export function buildTrayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const running = isRunning(state);
  return [
    {
      label: running ? 'Backing Up…' : 'Back Up All Now',
      enabled: !running && state.sources.length > 0,
      click: () => actions.backUpAll(),
    },
    {
      label: 'Back Up',
      enabled: state.sources.length > 0,
      submenu: state.sources.map((source) => ({
        label: source.running
          ? `${source.name} (running)`
          : source.status && source.status.state !== 'protected'
            ? `${source.name} — ${source.status.headline}`
            : source.name,
        enabled: !source.running,
        click: () => actions.backUpSource(source.id),
      })),
    },
    {
      label: state.paused ? 'Resume Schedules' : 'Pause Schedules',
      click: () => actions.setPaused(!state.paused),
    },
    { type: 'separator' },
    { label: describeLastResult(state.lastResult), enabled: false },
    { type: 'separator' },
    { label: 'Open Coldkeep', click: () => actions.openWindow() },
    { label: 'Quit Coldkeep', click: () => actions.quit() },
  ];
}

export function describeLastResult(result: LastResult | undefined): string {
  if (!result) return 'Last backup: none yet';
  const when = result.finishedAt.toLocaleString();
  return `Last backup: ${statusWord(result.status)} ${when} (${result.summary})`;
}

export function trayTooltip(state: TrayState): string {
  const running = state.sources.filter((s) => s.running).map((s) => s.name);
  if (running.length) return `Coldkeep — backing up ${running.join(', ')}`;
  if (state.paused) return 'Coldkeep — schedules paused';
  if (state.overall) {
    if (state.overall === 'protected') return 'Coldkeep — everything protected';
    const which = state.sources
      .filter((s) => s.status?.state === state.overall)
      .map((s) => `${s.name} (${s.status!.headline})`);
    return `Coldkeep — ${stateText(state.overall)}: ${which.join(', ')}`;
  }
  if (state.lastResult?.status === 'failed') return 'Coldkeep — the last backup failed';
  if (state.lastResult?.status === 'partial') return 'Coldkeep — the last backup is incomplete';
  return 'Coldkeep';
}

/** The Tray's methods the app uses, so tests can pass a fake. */
export interface TrayLike<Icon, Menu> {
  setImage(image: Icon): void;
  setToolTip(toolTip: string): void;
  setContextMenu(menu: Menu | null): void;
}

/**
 * Shows a state on the tray: icon, tooltip and menu. `buildMenu` is `Menu.buildFromTemplate`
 * in the app; the icon is only replaced when its state changes.
 */
export class TrayPresenter<Icon, Menu> {
  private shownIcon: TrayIconState | undefined;

  constructor(
    private readonly tray: TrayLike<Icon, Menu>,
    private readonly icons: Record<TrayIconState, Icon>,
    private readonly buildMenu: (template: MenuItemConstructorOptions[]) => Menu,
    private readonly actions: TrayActions,
  ) {}

  show(state: TrayState): void {
    const icon = trayIconState(state);
    if (icon !== this.shownIcon) {
      this.tray.setImage(this.icons[icon]);
      this.shownIcon = icon;
    }
    this.tray.setToolTip(trayTooltip(state));
    this.tray.setContextMenu(this.buildMenu(buildTrayMenuTemplate(state, this.actions)));
  }
}
