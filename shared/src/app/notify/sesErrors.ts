import { ColdkeepError } from '../../base/errors/ColdkeepError';

/** Why an email could not be sent, with what to do about it. Never thrown: reported beside the job's result. */
export interface NotifyError {
  code: 'NotifyFailed';
  message: string;
  hint: string;
  /** SES's own error name, e.g. MessageRejected. */
  sesError?: string;
}

interface SesLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The addresses SES names in "Email address is not verified. The following identities failed the check in region X: a, b". */
function unverifiedAddresses(message: string): string[] {
  const list = /failed the check in region [^:]+:\s*(.+)$/i.exec(message)?.[1];
  return list ? list.split(/,\s*/).map((a) => a.trim().toLowerCase()) : [];
}

export function sesFailure(failure: unknown, ctx: { from: string; to: string[]; region: string }): NotifyError {
  // SES's own reading of a raw network failure beats the general one the client gave it (serviceErrors.ts).
  const err = failure instanceof ColdkeepError && failure.code === 'EndpointUnreachable' ? failure.cause : failure;
  const e = (err ?? {}) as SesLikeError;
  const name = e.name ?? '';
  const message = e.message ?? String(err);
  const fail = (what: string, hint: string): NotifyError => ({
    code: 'NotifyFailed',
    message: `${what}`,
    hint,
    ...(name ? { sesError: name } : {}),
  });
  if (name === 'MessageRejected' && /not verified/i.test(message)) {
    const named = unverifiedAddresses(message);
    const senderNamed = named.length === 0 || named.includes(ctx.from.toLowerCase());
    const recipients = ctx.to.filter((a) => named.includes(a.toLowerCase()));
    if (senderNamed && recipients.length === 0) {
      return fail(
        `SES in ${ctx.region} refused the sender ${ctx.from}: it is not a verified identity there.`,
        `Verify the address (or its domain) in SES in ${ctx.region}: "aws sesv2 create-email-identity --email-identity ${ctx.from} --region ${ctx.region}", then click the link SES mails to it.`,
      );
    }
    return fail(
      `SES in ${ctx.region} refused the recipient(s) ${recipients.join(', ') || ctx.to.join(', ')}: the account is in the SES sandbox, where every recipient must be verified too.`,
      `Verify each recipient in SES in ${ctx.region} ("aws sesv2 create-email-identity --email-identity ADDRESS"), or request production access for the account (SES console → Account dashboard).`,
    );
  }
  if (name === 'MailFromDomainNotVerifiedException') {
    return fail(
      `SES refused the custom MAIL FROM domain of ${ctx.from}.`,
      'Finish the MAIL FROM domain setup (its MX and SPF records) in SES, or send from another address.',
    );
  }
  if (name === 'AccountSuspendedException' || name === 'SendingPausedException') {
    return fail(
      `Sending from this AWS account is paused in SES (${ctx.region}).`,
      'See the SES console (Account dashboard / reputation) for why; sending resumes only when AWS lifts the pause.',
    );
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || e.$metadata?.httpStatusCode === 403) {
    return fail(
      `Not allowed to send email through SES in ${ctx.region}.`,
      `Grant ses:SendEmail on the identity arn:aws:ses:${ctx.region}:ACCOUNT:identity/${ctx.from.split('@')[1] ?? ctx.from} to the identity Coldkeep runs as.`,
    );
  }
  if (
    ['ENOTFOUND', 'EAI_AGAIN'].includes(e.code ?? '') ||
    /getaddrinfo|ENOTFOUND/.test(message) ||
    name === 'UnknownEndpoint'
  ) {
    return fail(
      `The SES endpoint for ${ctx.region} could not be reached (${message}).`,
      `SES is not offered in every region: set {setting:sesRegion} to one that has it (e.g. us-east-1, eu-west-1), or check the network.`,
    );
  }
  if (name === 'TimeoutError' || /timed? ?out/i.test(message)) {
    return fail(
      `SES in ${ctx.region} did not answer in time.`,
      'Check the network, or the SES endpoint (COLDKEEP_ENDPOINT_URL_SES) if one is set.',
    );
  }
  if (['ECONNREFUSED', 'ECONNRESET'].includes(e.code ?? '')) {
    return fail(
      `The SES endpoint refused the connection (${message}).`,
      'Check COLDKEEP_ENDPOINT_URL_SES, or that the SES emulator is running.',
    );
  }
  return fail(
    `SES could not send the email: ${name ? `${name}: ` : ''}${message}`,
    'Check the sender, the recipients and the region ({setting:sesRegion}).',
  );
}
