import type { SessionStatus } from '@coldkeep/shared';
import * as vscode from 'vscode';

/** The status-bar text and tooltip for a session (or none). Pure, for the unit tests. */
export function sessionLabel(
  status: SessionStatus | undefined,
  profile: string,
  now: Date = new Date(),
): { text: string; tooltip: string; expired: boolean } {
  if (!status) {
    return {
      text: `$(key) ${profile}: no MFA session`,
      tooltip: `Profile "${profile}" needs an MFA code. Click to start a session.`,
      expired: true,
    };
  }
  const until = new Date(status.expiresAt);
  const expired = status.expired || until.getTime() <= now.getTime();
  const time = until.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return expired
    ? {
        text: `$(warning) ${profile}: MFA session ended`,
        tooltip: `The MFA session of "${profile}" ended at ${until.toLocaleString()}. Click to enter a new code.`,
        expired,
      }
    : {
        text: `$(shield) ${profile} until ${time}`,
        tooltip: `Signed in with MFA as ${status.identity ?? profile} until ${until.toLocaleString()}. Click to renew.`,
        expired,
      };
}

/**
 * Shows who is signed in and until when. Hidden when the profile does not use MFA. When the
 * session ends it turns into a warning that starts a new one on click.
 */
export class SessionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('coldkeep.session', vscode.StatusBarAlignment.Left, 50);
  private timer?: NodeJS.Timeout;

  /** Called once when a shown session runs out (the extension offers to start a new one). */
  onExpired?: (profile: string) => void;

  constructor() {
    this.item.name = 'Coldkeep MFA session';
    this.item.command = 'coldkeep.startSession';
  }

  show(status: SessionStatus | undefined, profile: string | undefined): void {
    clearTimeout(this.timer);
    if (profile === undefined) {
      this.item.hide();
      return;
    }
    const label = sessionLabel(status, profile);
    this.item.text = label.text;
    this.item.tooltip = label.tooltip;
    this.item.backgroundColor = label.expired ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
    if (status && !label.expired) {
      // Turn into the "ended" warning at expiry (timers cap at ~24 days).
      const left = Math.min(new Date(status.expiresAt).getTime() - Date.now(), 2 ** 31 - 1);
      this.timer = setTimeout(
        () => {
          this.show({ ...status, expired: true }, profile);
          this.onExpired?.(profile);
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
