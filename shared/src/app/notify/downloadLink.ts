import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { MAX_LINK_SECONDS } from './notifySettings';

export interface DownloadLink {
  /** Holds a signature (and, with temporary credentials, a session token): mail it, never log it. */
  url: string;
  bucket: string;
  key: string;
  requestedSeconds: number;
  /** What the link really lives. */
  expiresInSeconds: number;
  expiresAt: string;
  /**
   * Why it lives shorter than asked, if it does: `credentials`, the signing credentials' known
   * expiry; `session`, temporary credentials (a session token) whose expiry nobody told us, so
   * the link is cut to SESSION_LINK_SECONDS and may die sooner, with the session.
   */
  limitedBy?: 'credentials' | 'session';
}

/**
 * The most a link signed by a session of unknown end is said (and signed) to live: 1 hour, the
 * default life of an STS role session. Lambda, container and instance roles give a session
 * token from the environment without its expiry (unless AWS_CREDENTIAL_EXPIRATION is set).
 */
export const SESSION_LINK_SECONDS = 3600;

/**
 * A pre-signed GET link. Its life is the one asked for (at most 7 days), but never past
 * the signing credentials' own expiry: a link signed with a session's credentials stops
 * working when the session ends, whatever its X-Amz-Expires says. The expiry comes from
 * the credential provider (MFA session, container/instance role, AWS_CREDENTIAL_EXPIRATION);
 * a session token with no known expiry caps the link at SESSION_LINK_SECONDS. The real
 * expiry is returned so that the email can state it.
 */
export async function presignDownload(
  s3: S3Client,
  object: { bucket: string; key: string; fileName?: string },
  requestedSeconds: number = MAX_LINK_SECONDS,
  now: Date = new Date(),
): Promise<DownloadLink> {
  if (!Number.isInteger(requestedSeconds) || requestedSeconds < 1 || requestedSeconds > MAX_LINK_SECONDS) {
    throw new ColdkeepError('InvalidInput', `A download link can live 1 second to 7 days, not ${requestedSeconds} s.`, {
      hint: 'Set {setting:linkExpires} to a value up to 7d.',
    });
  }
  const identity = await s3.config.credentials();
  let expiresInSeconds = requestedSeconds;
  let limitedBy: DownloadLink['limitedBy'];
  if (identity.expiration) {
    const left = Math.floor((identity.expiration.getTime() - now.getTime()) / 1000);
    if (left < 60) {
      throw new ColdkeepError(
        'SessionExpired',
        'The credentials that would sign the download link expire within a minute.',
        {
          hint: 'Start a new session ("coldkeep session start") and run the job again for a working link.',
        },
      );
    }
    if (left < expiresInSeconds) {
      expiresInSeconds = left;
      limitedBy = 'credentials';
    }
  } else if (identity.sessionToken && SESSION_LINK_SECONDS < expiresInSeconds) {
    expiresInSeconds = SESSION_LINK_SECONDS;
    limitedBy = 'session';
  }
  const url = await getSignedUrl(
    s3,
    new GetObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      ...(object.fileName ? { ResponseContentDisposition: `attachment; filename="${object.fileName}"` } : {}),
    }),
    { expiresIn: expiresInSeconds, signingDate: now },
  );
  return {
    url,
    bucket: object.bucket,
    key: object.key,
    requestedSeconds,
    expiresInSeconds,
    expiresAt: new Date(now.getTime() + expiresInSeconds * 1000).toISOString(),
    ...(limitedBy ? { limitedBy } : {}),
  };
}
