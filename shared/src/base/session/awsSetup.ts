import { loadSharedConfigFiles } from '@smithy/core/config';
import type { AwsSettings } from '../aws/settings';
import { ColdkeepError } from '../errors/ColdkeepError';
import type { ProfileFiles } from './awsProfile';

/**
 * Whether a front end has something to talk to AWS with, known without a network call: a profile
 * of the shared AWS files, keys or a role in the environment, or an endpoint (an emulator). Front
 * ends hide or guard what needs AWS until this is ready, and lead to setup instead.
 */
export interface AwsSetup {
  ready: boolean;
  /** What makes it ready. */
  via?: 'endpoint' | 'environment' | 'profile';
  /** The profile Coldkeep will use (named, AWS_PROFILE, or "default" when the files have it). */
  profile?: string;
  /** Why it is not ready, as the error to show (MissingCredentials or NoSuchProfile). */
  problem?: ColdkeepError;
}

/** A profile of the shared AWS config and credentials files, for a profile picker. */
export interface AwsProfileEntry {
  name: string;
  region?: string;
  /** It asks for an MFA code (mfa_serial). */
  mfa: boolean;
}

function filesFrom(env: NodeJS.ProcessEnv, files: ProfileFiles): ProfileFiles {
  return {
    ...((files.configFilepath ?? env.AWS_CONFIG_FILE)
      ? { configFilepath: files.configFilepath ?? env.AWS_CONFIG_FILE }
      : {}),
    ...((files.filepath ?? env.AWS_SHARED_CREDENTIALS_FILE)
      ? { filepath: files.filepath ?? env.AWS_SHARED_CREDENTIALS_FILE }
      : {}),
  };
}

/** The profiles of the shared AWS files (config and credentials), sorted by name, "default" first. */
export async function listAwsProfiles(
  env: NodeJS.ProcessEnv = process.env,
  files: ProfileFiles = {},
): Promise<AwsProfileEntry[]> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ...filesFrom(env, files), ignoreCache: true });
  const names = [...new Set([...Object.keys(configFile), ...Object.keys(credentialsFile)])];
  return names
    .sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)))
    .map((name) => {
      const merged = { ...configFile[name], ...credentialsFile[name] };
      const region = merged.region?.trim();
      return { name, ...(region ? { region } : {}), mfa: !!merged.mfa_serial?.trim() };
    });
}

/** The error for "nothing to talk to AWS with yet": names the profile setting and the local demo. */
export function missingCredentialsError(): ColdkeepError {
  return new ColdkeepError('MissingCredentials', 'Coldkeep has no AWS credentials yet.', {
    hint: 'Choose a profile of your AWS config in {setting:profile} ("aws configure" makes one), or try Coldkeep on local emulators with the local demo.',
  });
}

/** Reads the settings, the environment and the shared AWS files; never calls AWS. */
export async function awsSetup(
  settings: AwsSettings,
  env: NodeJS.ProcessEnv = process.env,
  files: ProfileFiles = {},
): Promise<AwsSetup> {
  if (settings.credentials) return { ready: true, via: 'environment' };
  if (settings.endpoint || Object.keys(settings.endpoints ?? {}).length) return { ready: true, via: 'endpoint' };
  const named = settings.profile || env.AWS_PROFILE;
  const profiles = await listAwsProfiles(env, files).catch(() => [] as AwsProfileEntry[]);
  if (named) {
    if (profiles.some((p) => p.name === named)) return { ready: true, via: 'profile', profile: named };
    return {
      ready: false,
      profile: named,
      problem: new ColdkeepError('NoSuchProfile', `There is no profile "${named}" in the AWS config files.`, {
        hint: 'Check the name in {setting:profile}, or add the profile with "aws configure --profile NAME".',
      }),
    };
  }
  // The SDK's default chain: keys, web identity or container credentials in the environment.
  if (
    env.AWS_ACCESS_KEY_ID ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
  )
    return { ready: true, via: 'environment' };
  if (profiles.some((p) => p.name === 'default')) return { ready: true, via: 'profile', profile: 'default' };
  return { ready: false, problem: missingCredentialsError() };
}
