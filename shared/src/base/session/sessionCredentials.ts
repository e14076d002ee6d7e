import type { AwsCredentialIdentity } from '@aws-sdk/types';

export type SessionMode = 'session-token' | 'assume-role';

/**
 * Temporary credentials of an MFA session, as kept in a SecretStore. The three secrets
 * are kept here and nowhere else: `describeSession` is what reports and logs see.
 */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO 8601. */
  expiration: string;
  profile: string;
  mode: SessionMode;
  mfaSerial: string;
  roleArn?: string;
  /** The assumed role's session ARN (assume-role mode). */
  assumedRoleArn?: string;
  /** Where they came from: STS on Coldkeep's request, or the AWS CLI's cache. */
  source: 'sts' | 'aws-cli-cache';
}

/** What may be shown about a session: who, until when. No secrets. */
export interface SessionStatus {
  profile: string;
  mode: SessionMode;
  /** Who the session acts as. */
  identity: string;
  mfaSerial: string;
  roleArn?: string;
  expiresAt: string;
  /** Milliseconds left (0 when expired). */
  remainingMs: number;
  expired: boolean;
  source: SessionCredentials['source'];
}

/** "arn:aws:iam::123456789012:mfa/alice" → "IAM user alice in account 123456789012". */
function userFromMfaSerial(mfaSerial: string): string {
  const match = /^arn:aws[\w-]*:iam::(\d{12}):mfa\/(?:.*\/)?([^/]+)$/.exec(mfaSerial);
  return match ? `IAM user ${match[2]} in account ${match[1]}` : `the owner of MFA device ${mfaSerial}`;
}

export function describeSession(session: SessionCredentials, now: Date): SessionStatus {
  const remainingMs = Math.max(0, new Date(session.expiration).getTime() - now.getTime());
  return {
    profile: session.profile,
    mode: session.mode,
    identity:
      session.mode === 'assume-role'
        ? (session.assumedRoleArn ?? session.roleArn ?? '?')
        : userFromMfaSerial(session.mfaSerial),
    mfaSerial: session.mfaSerial,
    ...(session.roleArn ? { roleArn: session.roleArn } : {}),
    expiresAt: session.expiration,
    remainingMs,
    expired: remainingMs === 0,
    source: session.source,
  };
}

export function toIdentity(session: SessionCredentials): AwsCredentialIdentity {
  return {
    accessKeyId: session.accessKeyId,
    secretAccessKey: session.secretAccessKey,
    sessionToken: session.sessionToken,
    expiration: new Date(session.expiration),
  };
}

/** Parses a stored session; undefined for anything that is not one (old or damaged entries). */
export function parseStoredSession(text: string | undefined): SessionCredentials | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<SessionCredentials>;
    const strings = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration', 'profile', 'mfaSerial'] as const;
    if (strings.some((k) => typeof value[k] !== 'string')) return undefined;
    if (value.mode !== 'session-token' && value.mode !== 'assume-role') return undefined;
    if (Number.isNaN(new Date(value.expiration!).getTime())) return undefined;
    return value as SessionCredentials;
  } catch {
    return undefined;
  }
}
