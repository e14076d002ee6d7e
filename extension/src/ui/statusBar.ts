import type { SessionStatus } from '@coldkeep/shared';
import * as vscode from 'vscode';
import { sessionLabel } from '../session/sessionStatusBar';

/** What the status bar shows: where Coldkeep points, and the MFA session of the profile, if it has one. */
export interface ConnectionState {
  /** Nothing to talk to AWS with yet (no profile, no keys, no demo): the item hides. */
  ready: boolean;
  demo: boolean;
  profile: string;
  region: string;
  /** Present when the profile uses MFA: the stored session, undefined when there is none. */
  session?: { status: SessionStatus | undefined };
}

/** The item's text and tooltip. Pure, for the unit tests. */
export function connectionLabel(
  state: ConnectionState,
  now: Date = new Date(),
): { text: string; tooltip: string; warning: boolean } {
  if (state.demo) {
    return {
      text: `$(beaker) local demo · ${state.region}`,
      tooltip: 'Coldkeep uses the local demo (emulators on this machine). Click to choose a profile.',
      warning: false,
    };
  }
  const pick = 'Click to choose the profile and region.';
  if (state.session) {
    const session = sessionLabel(state.session.status, state.profile, now);
    return {
      text: `${session.text} · ${state.region}`,
      tooltip: `${session.tooltip}\nRegion ${state.region}. ${pick}`,
      warning: session.expired,
    };
  }
  return {
    text: `$(cloud) ${state.profile} · ${state.region}`,
    tooltip: `Coldkeep uses AWS profile "${state.profile}" in ${state.region}. ${pick}`,
    warning: false,
  };
}

/**
 * The active profile and region (and the MFA session, when the profile has one), opening the
 * profile picker on click. When the session ends it turns into a warning.
 */
export class ConnectionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('coldkeep.connection', vscode.StatusBarAlignment.Left, 50);
  private timer?: NodeJS.Timeout;
  private state?: ConnectionState;

  /** Called once when a shown session runs out (the extension offers to start a new one). */
  onExpired?: (profile: string) => void;

  constructor() {
    this.item.name = 'Coldkeep AWS profile';
    this.item.command = 'coldkeep.configureProfile';
  }

  /** What the item shows now (the tests read it). */
  get text(): string | undefined {
    return this.state?.ready ? this.item.text : undefined;
  }

  show(state: ConnectionState): void {
    clearTimeout(this.timer);
    this.state = state;
    if (!state.ready) {
      this.item.hide();
      return;
    }
    const label = connectionLabel(state);
    this.item.text = label.text;
    this.item.tooltip = label.tooltip;
    this.item.backgroundColor = label.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
    const status = state.session?.status;
    if (status && !label.warning) {
      // Turn into the "ended" warning at expiry (timers cap at ~24 days).
      const left = Math.min(new Date(status.expiresAt).getTime() - Date.now(), 2 ** 31 - 1);
      this.timer = setTimeout(
        () => {
          this.show({ ...state, session: { status: { ...status, expired: true } } });
          this.onExpired?.(state.profile);
        },
        Math.max(left, 0),
      );
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.item.dispose();
  }
}
