import type { Command } from 'commander';
import type { NotificationReport } from '../app/notify/notifyJob';
import type { NotifySettings } from '../app/notify/notifySettings';
import { MAX_LINK_SECONDS, notifySettingsFrom } from '../app/notify/notifySettings';
import { cliHint, formatDuration } from './format';
import { durationFlag } from './parse';

/** The flags `addNotifyOptions` adds. */
export interface NotifyFlags {
  notify?: string[];
  from?: string;
  sesRegion?: string;
  linkExpires?: number;
  /** false with --no-link */
  link?: boolean;
}

/** "90m", "36h", "7d", or seconds → seconds, at most 7 days. */
export function parseLinkExpiry(value: string): number {
  // A download link lives from 1 minute to 7 days (S3's limit).
  return durationFlag('--link-expires', 60, MAX_LINK_SECONDS)(value);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** --notify, --from, --ses-region; with `link`, also --link-expires and --no-link. */
export function addNotifyOptions(command: Command, { link }: { link: boolean }): Command {
  command
    .option(
      '--notify <address>',
      'email the result to this address via SES (repeat or comma-separate; default: $COLDKEEP_NOTIFY_TO)',
      collect,
    )
    .option('--from <address>', 'sender of the email, verified in SES (default: $COLDKEEP_NOTIFY_FROM)')
    .option('--ses-region <region>', "SES region (default: $COLDKEEP_SES_REGION, else the job's region)");
  if (link) {
    command
      .option(
        '--link-expires <duration>',
        "life of the email's download link, e.g. 36h (default and most: 7d; never past the credentials' expiry)",
        parseLinkExpiry,
      )
      .option('--no-link', 'send the email without a download link');
  }
  return command;
}

export function notifySettingsFromFlags(
  flags: NotifyFlags,
  env: NodeJS.ProcessEnv = process.env,
): NotifySettings | undefined {
  return notifySettingsFrom(
    {
      ...(flags.notify ? { notify: flags.notify } : {}),
      ...(flags.from ? { from: flags.from } : {}),
      ...(flags.linkExpires !== undefined ? { linkSeconds: flags.linkExpires } : {}),
      ...(flags.sesRegion ? { sesRegion: flags.sesRegion } : {}),
    },
    env,
  );
}

/** What the CLI prints about a notification, beside the job's own result. Never the link. */
export function notificationLines(notification: NotificationReport | undefined): string[] {
  if (!notification) return [];
  if (!notification.sent) {
    const e = notification.error!;
    return [
      `Warning: the email to ${notification.to.join(', ')} was not sent: ${e.message}`,
      `Hint: ${cliHint(e.hint)}`,
    ];
  }
  const lines = [`Emailed ${notification.to.join(', ')}: "${notification.subject}".`];
  if (notification.link) {
    const l = notification.link;
    lines.push(
      l.limitedBy === 'session'
        ? `  Its download link works while the signing session lasts, at most until ${l.expiresAt} (${formatDuration(l.expiresInSeconds * 1000)}).`
        : `  Its download link works until ${l.expiresAt} (${formatDuration(l.expiresInSeconds * 1000)})` +
            (l.limitedBy === 'credentials' ? ", cut short by the signing credentials' expiry." : '.'),
    );
  }
  if (notification.linkError) lines.push(`  Sent without a download link: ${notification.linkError.message}`);
  return lines;
}
