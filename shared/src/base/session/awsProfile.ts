import { loadSharedConfigFiles } from '@smithy/core/config';
import { ColdkeepError } from '../errors/ColdkeepError';

/** What Coldkeep needs from a profile of the shared AWS config and credentials files. */
export interface AwsProfile {
  name: string;
  region?: string;
  mfaSerial?: string;
  roleArn?: string;
  sourceProfile?: string;
  credentialSource?: string;
  roleSessionName?: string;
  externalId?: string;
  durationSeconds?: number;
  /** The profile has long-term keys of its own (aws_access_key_id). */
  hasStaticKeys: boolean;
}

export interface ProfileFiles {
  /** AWS_CONFIG_FILE, else ~/.aws/config. */
  configFilepath?: string;
  /** AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials. */
  filepath?: string;
}

/** The profile's name: the one given, else AWS_PROFILE, else "default". */
export function profileName(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return profile || env.AWS_PROFILE || 'default';
}

function filesFrom(env: NodeJS.ProcessEnv, files: ProfileFiles): ProfileFiles {
  const out: ProfileFiles = {};
  const configFilepath = files.configFilepath ?? env.AWS_CONFIG_FILE;
  const filepath = files.filepath ?? env.AWS_SHARED_CREDENTIALS_FILE;
  if (configFilepath) out.configFilepath = configFilepath;
  if (filepath) out.filepath = filepath;
  return out;
}

/**
 * Reads one profile from the shared config and credentials files (the credentials file
 * wins where both set a key, as in the SDKs and the AWS CLI). Undefined when neither file
 * has it.
 */
export async function findAwsProfile(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  files: ProfileFiles = {},
): Promise<AwsProfile | undefined> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({
    ...filesFrom(env, files),
    ignoreCache: true,
  });
  const config = configFile[name];
  const credentials = credentialsFile[name];
  if (!config && !credentials) return undefined;
  const merged: Record<string, string | undefined> = { ...config, ...credentials };
  const profile: AwsProfile = { name, hasStaticKeys: Boolean(merged.aws_access_key_id) };
  const text = (key: string): string | undefined => merged[key]?.trim() || undefined;
  const set = <K extends keyof AwsProfile>(key: K, value: AwsProfile[K] | undefined): void => {
    if (value !== undefined) profile[key] = value;
  };
  set('region', text('region'));
  set('mfaSerial', text('mfa_serial'));
  set('roleArn', text('role_arn'));
  set('sourceProfile', text('source_profile'));
  set('credentialSource', text('credential_source'));
  set('roleSessionName', text('role_session_name'));
  set('externalId', text('external_id'));
  const duration = text('duration_seconds');
  if (duration !== undefined) {
    const seconds = Number(duration);
    if (!Number.isInteger(seconds) || seconds < 900 || seconds > 129_600) {
      throw new ColdkeepError(
        'InvalidInput',
        `duration_seconds = ${duration} in profile "${name}" is not a whole number of seconds from 900 to 129600.`,
        { hint: 'Fix duration_seconds in the AWS config file (3600 is one hour), or remove it.' },
      );
    }
    profile.durationSeconds = seconds;
  }
  return profile;
}

/** Like findAwsProfile, but a missing profile is an error that says where Coldkeep looked. */
export async function loadAwsProfile(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  files: ProfileFiles = {},
): Promise<AwsProfile> {
  const profile = await findAwsProfile(name, env, files);
  if (!profile) {
    const where = filesFrom(env, files);
    throw new ColdkeepError(
      'NoSuchProfile',
      `There is no profile "${name}" in ${where.configFilepath ?? '~/.aws/config'} or ${where.filepath ?? '~/.aws/credentials'}.`,
      { hint: 'Check the name ({setting:profile}), or add the profile with "aws configure --profile NAME".' },
    );
  }
  return profile;
}
