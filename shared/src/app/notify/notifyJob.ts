import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { AwsClients } from '../../base/aws/clients';
import { failureFacts } from './jobSummary';
import { type DownloadLink, presignDownload } from './downloadLink';
import { MAX_LINK_SECONDS } from './notifySettings';
import { composeEmail, type LinkedArtefact } from './emailMessage';
import { type NotifyError, sesFailure } from './sesErrors';
import type { JobSummary } from './jobSummary';
import type { NotifySettings } from './notifySettings';

/** What became of a job's email; reported beside the job's result. Holds no link (it is signed). */
export interface NotificationReport {
  sent: boolean;
  to: string[];
  from: string;
  subject: string;
  messageId?: string;
  link?: Omit<DownloadLink, 'url'>;
  /** The email went without a link, and why. */
  linkError?: { code: string; message: string; hint?: string };
  error?: NotifyError;
}

/**
 * Emails a job's summary through SES (v2 SendEmail, text and HTML bodies), with a
 * pre-signed link to `artefact` when given. Never throws: a job's result does not depend
 * on its email, so a failure is returned (with a hint) for the caller to show beside it.
 */
export async function notifyJob(
  clients: AwsClients,
  settings: NotifySettings,
  summary: JobSummary,
  artefact?: LinkedArtefact | (() => Promise<LinkedArtefact>),
  signal?: AbortSignal,
): Promise<NotificationReport> {
  let link: { link: DownloadLink; artefact: LinkedArtefact } | undefined;
  let linkError: NotificationReport['linkError'];
  if (artefact) {
    try {
      const target = typeof artefact === 'function' ? await artefact() : artefact;
      const signed = await presignDownload(
        clients.s3,
        target,
        Math.min(settings.linkSeconds ?? MAX_LINK_SECONDS, MAX_LINK_SECONDS),
      );
      link = { link: signed, artefact: target };
    } catch (err) {
      linkError = failureFacts(err);
    }
  }
  const message = composeEmail(
    summary,
    link,
    linkError ? `${linkError.message} ${linkError.hint ?? ''}`.trim() : undefined,
  );
  const sesClients =
    settings.sesRegion && settings.sesRegion !== clients.region
      ? new AwsClients({ ...clients.settings, region: settings.sesRegion })
      : clients;
  const base = {
    to: settings.to,
    from: settings.from,
    subject: message.subject,
    ...(link ? { link: withoutUrl(link.link) } : {}),
    ...(linkError ? { linkError } : {}),
  };
  try {
    const answer = await sesClients.ses.send(
      new SendEmailCommand({
        FromEmailAddress: settings.from,
        Destination: { ToAddresses: settings.to },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
          },
        },
      }),
      { abortSignal: signal },
    );
    return { sent: true, ...base, ...(answer.MessageId ? { messageId: answer.MessageId } : {}) };
  } catch (err) {
    return {
      sent: false,
      ...base,
      error: sesFailure(err, { from: settings.from, to: settings.to, region: settings.sesRegion ?? clients.region }),
    };
  } finally {
    if (sesClients !== clients) sesClients.destroy();
  }
}

function withoutUrl(link: DownloadLink): Omit<DownloadLink, 'url'> {
  const { url: _secret, ...rest } = link;
  return rest;
}
