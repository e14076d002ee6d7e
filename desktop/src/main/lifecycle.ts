import type { App, PowerMonitor } from 'electron';
import type { QuitDuringJob } from '../ipc';

/** What quitting needs of the scheduler. */
export interface RunningJobs {
  readonly isRunning: boolean;
  cancelAll(): Promise<void>;
  whenIdle(): Promise<void>;
}

/** Several kinds of jobs (scheduled runs, restores) as one, for the quit guard. */
export function allJobs(...jobs: RunningJobs[]): RunningJobs {
  return {
    get isRunning() {
      return jobs.some((j) => j.isRunning);
    },
    cancelAll: async () => void (await Promise.all(jobs.map((j) => j.cancelAll()))),
    whenIdle: async () => void (await Promise.all(jobs.map((j) => j.whenIdle()))),
  };
}

export type QuitChoice = 'cancel' | 'wait' | 'stay';

export interface QuitGuardOptions {
  jobs: RunningJobs;
  /** The setting: ask each time, or always cancel, or always wait. */
  behaviour: () => QuitDuringJob;
  /** Asks the user (a message box in the app). */
  ask: () => Promise<QuitChoice>;
  /** Quits for real; called once the jobs have stopped. */
  quit: () => void;
  /** Told while waiting, e.g. to show "Quitting when the backup ends" in the tray. */
  onWaiting?: () => void;
}

/**
 * Quitting while a backup or a restore runs: cancel it cleanly (uploads aborted, no manifest,
 * history says cancelled; a restore says what it wrote) or wait for it to finish, as the user
 * chooses; or stay. Hook `beforeQuit` to the app's 'before-quit': it prevents the quit while jobs
 * run and quits again once they have stopped.
 */
export class QuitGuard {
  private releasing = false;
  private deciding = false;

  constructor(private readonly options: QuitGuardOptions) {}

  /** Returns whether the quit was held back (the caller then calls event.preventDefault()). */
  beforeQuit(): boolean {
    if (this.releasing || !this.options.jobs.isRunning) return false;
    if (!this.deciding) {
      this.deciding = true;
      void this.decide().finally(() => (this.deciding = false));
    }
    return true;
  }

  private async decide(): Promise<void> {
    const setting = this.options.behaviour();
    const choice: QuitChoice = setting === 'ask' ? await this.options.ask() : setting;
    if (choice === 'stay') return;
    if (choice === 'cancel') await this.options.jobs.cancelAll();
    else {
      this.options.onWaiting?.();
      await this.options.jobs.whenIdle();
    }
    this.releasing = true;
    this.options.quit();
  }
}

/** After sleep, runs missed while asleep are caught up. */
export function catchUpOnResume(
  powerMonitor: Pick<PowerMonitor, 'on'>,
  catchUp: () => Promise<unknown>,
  onError: (err: unknown) => void,
): void {
  powerMonitor.on('resume', () => {
    catchUp().catch(onError);
  });
}

/** Start at login, as the settings say (macOS and Windows; on Linux, where Electron has no API, false is returned). */
export function applyStartAtLogin(
  app: Pick<App, 'setLoginItemSettings'>,
  enabled: boolean,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (platform !== 'darwin' && platform !== 'win32') return false;
  app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
  return true;
}

/**
 * Linux has no login-item API in Electron: an XDG autostart entry does the same. `execPath` is
 * the AppImage ($APPIMAGE) or the installed binary.
 */
export function linuxAutostartEntry(execPath: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Coldkeep',
    'Comment=Scheduled backups of DynamoDB tables and folders to S3',
    `Exec="${execPath.replace(/(["\\`$])/g, '\\$1')}" --hidden`,
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}
