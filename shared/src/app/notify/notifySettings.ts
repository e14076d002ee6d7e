import { ColdkeepError } from '../../base/errors/ColdkeepError';

/** Who gets a job's email, from whom, and how long its download link lives. */
export interface NotifySettings {
  to: string[];
  from: string;
  /** Asked life of the download link in seconds (at most 7 days; the default). */
  linkSeconds?: number;
  /** SES region, when it differs from the job's (SES is not offered everywhere). */
  sesRegion?: string;
}

/** S3 refuses pre-signed links that live longer than 7 days (SigV4). */
export const MAX_LINK_SECONDS = 7 * 24 * 3600;

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/**
 * Notification settings from flags or the environment (COLDKEEP_NOTIFY_TO, a comma-separated
 * list, and COLDKEEP_NOTIFY_FROM; COLDKEEP_SES_REGION). Undefined when no recipient is set.
 * Checked before the job starts, so a typo does not surface only after an hour's backup.
 */
export function notifySettingsFrom(
  flags: { notify?: string[] | string; from?: string; linkSeconds?: number; sesRegion?: string },
  env: NodeJS.ProcessEnv = process.env,
): NotifySettings | undefined {
  const raw = flags.notify ?? env.COLDKEEP_NOTIFY_TO;
  const to = (Array.isArray(raw) ? raw : raw ? [raw] : [])
    .flatMap((v) => v.split(','))
    .map((a) => a.trim())
    .filter(Boolean);
  if (to.length === 0) return undefined;
  const from = (flags.from ?? env.COLDKEEP_NOTIFY_FROM)?.trim();
  if (!from) {
    throw new ColdkeepError('InvalidInput', 'An email needs a sender.', {
      hint: 'Give the sender, an address verified in SES ({setting:notifyFrom=sender@example.com}).',
    });
  }
  for (const address of [from, ...to]) {
    if (!ADDRESS.test(address)) {
      throw new ColdkeepError('InvalidInput', `"${address}" is not an email address.`, {
        hint: 'Give addresses like name@example.com; separate several recipients with commas.',
      });
    }
  }
  const linkSeconds = flags.linkSeconds;
  if (linkSeconds !== undefined && (linkSeconds < 1 || linkSeconds > MAX_LINK_SECONDS)) {
    throw new ColdkeepError('InvalidInput', `A download link can live at most 7 days, not ${linkSeconds} s.`, {
      hint: 'S3 refuses longer pre-signed links; set {setting:linkExpires} to 7d or less.',
    });
  }
  const sesRegion = flags.sesRegion ?? env.COLDKEEP_SES_REGION;
  return {
    to,
    from,
    ...(linkSeconds !== undefined ? { linkSeconds } : {}),
    ...(sesRegion ? { sesRegion } : {}),
  };
}
