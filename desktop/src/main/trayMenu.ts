import type { MenuItemConstructorOptions } from 'electron';

export interface LastResult {
  ok: boolean;
  finishedAt: Date;
  /** One line, e.g. "3 sources, 1.2 GB". */
  summary: string;
}

export interface TrayState {
  /** Number of configured sources; "Back Up Now" has nothing to do without one. */
  sourceCount: number;
  running: boolean;
  paused: boolean;
  lastResult?: LastResult;
}

export interface TrayActions {
  backUpNow(): void;
  setPaused(paused: boolean): void;
  openWindow(): void;
  quit(): void;
}

/** The tray's context menu for a state; rebuilt whenever the state changes. */
export function buildTrayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    {
      label: state.running ? 'Backing Up…' : 'Back Up Now',
      enabled: !state.running && state.sourceCount > 0,
      click: () => actions.backUpNow(),
    },
    {
      label: 'Pause Schedules',
      type: 'checkbox',
      checked: state.paused,
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
  return result.ok
    ? `Last backup: succeeded ${when} (${result.summary})`
    : `Last backup: FAILED ${when} (${result.summary})`;
}

export function trayTooltip(state: TrayState): string {
  if (state.running) return 'Coldkeep — backing up';
  if (state.paused) return 'Coldkeep — paused';
  return 'Coldkeep';
}
