import { TOOL_NAME, TOOL_VERSION } from '../../base/version';
import type { DownloadLink } from './downloadLink';
import { durationText } from './figures';
import type { JobSummary } from './jobSummary';

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

/** What the link points at, for the reader: "the backup's data (gzip of DynamoDB JSON lines, 312 KB)". */
export interface LinkedArtefact {
  bucket: string;
  key: string;
  description: string;
  fileName?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function expiryText(link: DownloadLink): string {
  const lifetime = durationText(link.expiresInSeconds * 1000);
  const asked = durationText(link.requestedSeconds * 1000);
  if (link.limitedBy === 'session') {
    // Nobody told us when the signing session ends: promise only its end or the cap, whichever is first.
    return (
      `The link works while the session that signed it lasts, at most until ${link.expiresAt} (${lifetime}); ` +
      `it may stop sooner. That is less than the ${asked} asked for: it was signed with temporary credentials ` +
      'whose expiry is not known (a role session, e.g. in Lambda), and a link stops working when they expire.'
    );
  }
  const base = `The link works until ${link.expiresAt} (${lifetime}).`;
  if (link.limitedBy !== 'credentials') return base;
  return (
    `${base} That is sooner than the ${asked} asked for: it was signed ` +
    'with temporary credentials (a session), and a link stops working when they expire.'
  );
}

/** Subject, plain-text and HTML bodies for a job's notification. */
export function composeEmail(
  summary: JobSummary,
  link?: { link: DownloadLink; artefact: LinkedArtefact },
  linkProblem?: string,
): EmailMessage {
  // A partial job is never called a success: INCOMPLETE and what is missing come first.
  const result = !summary.ok ? 'FAILED' : summary.incomplete ? `INCOMPLETE: ${summary.incomplete}` : 'succeeded';
  const subject = `Coldkeep: ${summary.what} ${result}${summary.headline ? ` (${summary.headline})` : ''}`;
  const facts: [string, string][] = [
    ['Result', !summary.ok ? 'failed' : summary.incomplete ? `incomplete: ${summary.incomplete}` : 'succeeded'],
    ...summary.facts,
  ];
  if (summary.error) {
    facts.push(['Error', `[${summary.error.code}] ${summary.error.message}`]);
    if (summary.error.hint) facts.push(['What to do', summary.error.hint]);
  }
  const width = Math.max(...facts.map(([label]) => label.length));
  const footer = `Sent by ${TOOL_NAME} ${TOOL_VERSION}.`;

  const text = [
    `${summary.what} ${result}.`,
    '',
    ...facts.map(([label, value]) => `${label.padEnd(width)}  ${value}`),
    '',
    ...(link
      ? [`Download ${link.artefact.description}:`, link.link.url, expiryText(link.link), '']
      : linkProblem
        ? [`No download link: ${linkProblem}`, '']
        : []),
    footer,
    '',
  ].join('\n');

  // Green for a success only; amber for a partial job.
  const colour = !summary.ok ? '#cf222e' : summary.incomplete ? '#9a6700' : '#1a7f37';
  const html = [
    '<!doctype html>',
    '<html><body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; color: #1f2328">',
    `<h2 style="color: ${colour}">${escapeHtml(`${summary.what} ${result}`)}</h2>`,
    '<table cellpadding="4" style="border-collapse: collapse">',
    ...facts.map(
      ([label, value]) =>
        `<tr><th align="left" valign="top">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    ),
    '</table>',
    ...(link
      ? [
          `<p><a href="${escapeHtml(link.link.url)}">Download ${escapeHtml(link.artefact.description)}</a></p>`,
          `<p>${escapeHtml(expiryText(link.link))}</p>`,
        ]
      : linkProblem
        ? [`<p>No download link: ${escapeHtml(linkProblem)}</p>`]
        : []),
    `<p style="color: #59636e; font-size: small">${escapeHtml(footer)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { subject, text, html };
}
