import type { RunRecord } from '@coldkeep/shared';
import type { NotifyWhen } from '../ipc';

export interface RunNotification {
  title: string;
  body: string;
  /** Failures stay until dismissed where the OS allows it. */
  urgent: boolean;
}

/**
 * The OS notification for a finished run, or undefined when the settings say not to show it.
 * Cancelled runs are the user's own doing: no notification.
 */
export function notificationFor(run: RunRecord, when: NotifyWhen): RunNotification | undefined {
  if (run.status === 'cancelled' || when === 'none') return undefined;
  if (run.status === 'succeeded') {
    if (when === 'failures') return undefined;
    return { title: `Backed up ${run.sourceName}`, body: run.result?.summary ?? 'Done.', urgent: false };
  }
  // Partial counts as a failure for "failures": something asked for is not backed up.
  if (run.status === 'partial') {
    return {
      title: `Backup of ${run.sourceName} INCOMPLETE: ${run.result?.incomplete ?? 'something was not backed up'}`,
      body: `${run.result?.summary ?? ''} Open the run in History for what was left out and what to do.`.trim(),
      urgent: true,
    };
  }
  const tries = run.attempts > 1 ? ` after ${run.attempts} tries` : '';
  const hint = run.error?.hint ? ` ${run.error.hint}` : '';
  return {
    title: `Backup of ${run.sourceName} failed${tries}`,
    body: `${run.error?.message ?? 'Unknown error.'}${hint}`,
    urgent: true,
  };
}

/** Electron's Notification, reduced to what is used, so tests can pass a fake. */
export interface NotificationLike {
  show(): void;
  on(event: 'click', listener: () => void): unknown;
}

export type NotificationFactory = (options: {
  title: string;
  body: string;
  urgency: 'normal' | 'critical';
}) => NotificationLike;

/** Shows the notification for a run, if any; a click opens the window at its history entry. */
export function showRunNotification(
  run: RunRecord,
  when: NotifyWhen,
  create: NotificationFactory,
  onClick: (run: RunRecord) => void,
): boolean {
  const note = notificationFor(run, when);
  if (!note) return false;
  const notification = create({ title: note.title, body: note.body, urgency: note.urgent ? 'critical' : 'normal' });
  notification.on('click', () => onClick(run));
  notification.show();
  return true;
}
