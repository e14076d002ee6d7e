import { CancelledError, ColdkeepError } from '@coldkeep/shared';
import * as vscode from 'vscode';
import { vscodeSettingWords } from '../format';
import { showErrorWithActions } from '../ui/errorActions';

/** What a job reports to the progress notification. */
export interface JobProgress {
  message: string;
  /** 0..100, when known. */
  percent?: number;
}

/**
 * Runs a job in a cancellable progress notification. Cancel aborts the job's signal, which
 * really stops it (requests abort, uploads are aborted). Resolves undefined when cancelled.
 */
export async function runJob<T>(
  title: string,
  job: (signal: AbortSignal, report: (p: JobProgress) => void) => Promise<T>,
): Promise<T | undefined> {
  const controller = new AbortController();
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        let last = 0;
        return job(controller.signal, ({ message, percent }) => {
          const increment = percent === undefined ? undefined : Math.max(0, percent - last);
          if (percent !== undefined) last = Math.max(last, percent);
          progress.report(increment === undefined ? { message } : { message, increment });
        });
      },
    );
  } catch (err) {
    if (isCancelled(err, controller.signal)) {
      // A job that says more than "Cancelled." (e.g. a stack CloudFormation goes on creating) is heard out.
      const said = err instanceof ColdkeepError && err.message !== 'Cancelled.' ? ` ${errorText(err)}` : '';
      void vscode.window.showInformationMessage(`${title}: cancelled.${said}`);
      return undefined;
    }
    throw err;
  }
}

export function isCancelled(err: unknown, signal?: AbortSignal): boolean {
  return (
    err instanceof CancelledError ||
    (err instanceof ColdkeepError && err.code === 'Cancelled') ||
    (!!signal?.aborted && (err as { name?: string })?.name === 'AbortError')
  );
}

/**
 * Shows an error with its hint; ColdkeepErrors say what to do, and get the buttons that do it
 * (Configure Profile, Open Settings, Start Local Demo…, see ui/errorActions.ts).
 */
export async function showError(err: unknown, doing?: string): Promise<void> {
  if (isCancelled(err)) return;
  const prefix = doing ? `${doing} failed: ` : '';
  showErrorWithActions(`${prefix}${errorText(err)}`, err);
}

/** Text of an error, with its hint, for tests and the output channel. */
export function errorText(err: unknown): string {
  if (err instanceof ColdkeepError) return err.hint ? `${err.message} ${err.hintIn(vscodeSettingWords)}` : err.message;
  return err instanceof Error ? err.message : String(err);
}
