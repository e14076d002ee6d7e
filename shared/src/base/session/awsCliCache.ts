import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AwsProfile } from './awsProfile';
import type { SessionCredentials } from './sessionCredentials';

export function defaultAwsCliCacheDir(): string {
  return join(homedir(), '.aws', 'cli', 'cache');
}

/** Python's json.dumps(value, sort_keys=True) for the flat objects the AWS CLI hashes. */
function pythonJson(value: Record<string, string | number>): string {
  const ascii = (s: string): string =>
    JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const body = Object.keys(value)
    .sort()
    .map((k) => `${ascii(k)}: ${typeof value[k] === 'number' ? String(value[k]) : ascii(value[k] as string)}`)
    .join(', ');
  return `{${body}}`;
}

/**
 * The file name under which the AWS CLI (botocore's AssumeRoleCredentialFetcher) caches
 * this profile's AssumeRole answer: the SHA-1 of the call's arguments as sorted JSON,
 * without a generated session name.
 */
export function awsCliCacheKey(profile: AwsProfile): string | undefined {
  if (!profile.roleArn) return undefined;
  const args: Record<string, string | number> = { RoleArn: profile.roleArn };
  if (profile.roleSessionName) args.RoleSessionName = profile.roleSessionName;
  if (profile.externalId) args.ExternalId = profile.externalId;
  if (profile.mfaSerial) args.SerialNumber = profile.mfaSerial;
  if (profile.durationSeconds !== undefined) args.DurationSeconds = profile.durationSeconds;
  return createHash('sha1').update(pythonJson(args), 'utf8').digest('hex');
}

interface AwsCliCacheEntry {
  Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: string };
  AssumedRoleUser?: { Arn?: string };
}

/**
 * A session for this (assume-role, MFA) profile from the AWS CLI's cache, when it has one
 * that is still valid for at least `minValidMs`: the user typed a code for the AWS CLI
 * recently, so Coldkeep need not ask again.
 */
export async function readAwsCliCache(
  profile: AwsProfile,
  dir: string,
  now: Date,
  minValidMs: number,
): Promise<SessionCredentials | undefined> {
  const key = awsCliCacheKey(profile);
  if (!key || !profile.mfaSerial) return undefined;
  let entry: AwsCliCacheEntry;
  try {
    entry = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as AwsCliCacheEntry;
  } catch {
    return undefined;
  }
  const c = entry.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) return undefined;
  const expiration = new Date(c.Expiration);
  if (Number.isNaN(expiration.getTime()) || expiration.getTime() - now.getTime() < minValidMs) return undefined;
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: expiration.toISOString(),
    profile: profile.name,
    mode: 'assume-role',
    mfaSerial: profile.mfaSerial,
    roleArn: profile.roleArn!,
    ...(entry.AssumedRoleUser?.Arn ? { assumedRoleArn: entry.AssumedRoleUser.Arn } : {}),
    source: 'aws-cli-cache',
  };
}
