import { AssumeRoleCommand, type Credentials, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { fromContainerMetadata, fromEnv, fromIni, fromInstanceMetadata } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { commonClientConfig } from '../aws/clients';
import { type AwsSettings } from '../aws/settings';
import { CancelledError, ColdkeepError } from '../errors/ColdkeepError';
import { throwIfAborted } from '../jobs/job';
import { defaultAwsCliCacheDir, readAwsCliCache } from './awsCliCache';
import { type AwsProfile, loadAwsProfile, type ProfileFiles, profileName } from './awsProfile';
import { checkMfaCode } from './mfaCode';
import type { MfaPrompt, MfaPromptReason } from './mfaPrompt';
import type { SecretStore } from './secretStore';
import {
  describeSession,
  parseStoredSession,
  type SessionCredentials,
  type SessionStatus,
  toIdentity,
} from './sessionCredentials';
import { fromStsError } from './stsErrors';

export interface MfaSessionOptions {
  /** Region and endpoints for STS (COLDKEEP_ENDPOINT_URL_STS), retries. */
  settings?: AwsSettings;
  /** The profile; AWS_PROFILE, else "default", when absent. */
  profile?: string;
  store: SecretStore;
  /** How to ask for a code when none is given; without one, an expired session is an error. */
  prompt?: MfaPrompt;
  env?: NodeJS.ProcessEnv;
  files?: ProfileFiles;
  /** The AWS CLI's cache folder (~/.aws/cli/cache); null to not look there. */
  awsCliCacheDir?: string | null;
  /** A session is renewed this long before it expires (default 5 minutes). */
  refreshMarginMs?: number;
  /** Codes asked for before giving up when AWS rejects them (default 3). */
  maxAttempts?: number;
  now?: () => Date;
}

export interface StartOptions {
  /** The current code; the prompt is asked when absent. */
  code?: string;
  /** Ask STS for a new session even when a cached one is still valid. */
  renew?: boolean;
  /** Why a new session is needed, for the prompt. */
  reason?: MfaPromptReason;
  /** For reason "outlive": the job's estimate, and when the current session ends. */
  neededMs?: number;
  expiresAt?: string;
  signal?: AbortSignal;
}

export interface OutliveCheck {
  /** A new session was started because the old one would have ended first. */
  renewed: boolean;
  /** The session now ends after the job's estimate (with the refresh margin). */
  outlives: boolean;
  status: SessionStatus;
}

const STORE_PREFIX = 'coldkeep.session.';
const DEFAULT_MARGIN_MS = 5 * 60_000;

/**
 * Temporary credentials from an MFA code, for one profile of the shared AWS config:
 *   - no role_arn: STS GetSessionToken with SerialNumber/TokenCode, signed by the profile's own keys;
 *   - role_arn:    STS AssumeRole with SerialNumber/TokenCode, signed by source_profile (or credential_source).
 * Sessions are cached in the SecretStore until shortly before they expire, so the next run
 * (and the other front ends sharing the store) reuse them; a valid AWS CLI cache entry for
 * the same role is reused too. When a session runs out, the MfaPrompt asks again.
 * State lives on the instance only: the in-flight start is shared so that two clients
 * asking at once see one prompt.
 */
export class MfaSession {
  private readonly options: MfaSessionOptions;
  private readonly env: NodeJS.ProcessEnv;
  private readonly now: () => Date;
  private readonly margin: number;
  readonly profile: string;
  private profileData?: Promise<AwsProfile>;
  private starting?: Promise<SessionCredentials>;

  constructor(options: MfaSessionOptions) {
    this.options = options;
    this.env = options.env ?? process.env;
    this.now = options.now ?? (() => new Date());
    this.margin = options.refreshMarginMs ?? DEFAULT_MARGIN_MS;
    this.profile = profileName(options.profile, this.env);
  }

  /** The profile as configured; fails with NoSuchProfile / NoMfaSerial when it cannot do MFA. */
  async mfaProfile(): Promise<AwsProfile & { mfaSerial: string }> {
    this.profileData ??= loadAwsProfile(this.profile, this.env, this.options.files ?? {});
    const profile = await this.profileData.catch((err: unknown) => {
      this.profileData = undefined;
      throw err;
    });
    if (!profile.mfaSerial) {
      throw new ColdkeepError('NoMfaSerial', `Profile "${profile.name}" has no mfa_serial.`, {
        hint:
          `Add "mfa_serial = arn:aws:iam::ACCOUNT:mfa/DEVICE" to [${profile.name === 'default' ? 'default' : `profile ${profile.name}`}] ` +
          'in the AWS config file (IAM console → your user → Security credentials shows the ARN).',
      });
    }
    return profile as AwsProfile & { mfaSerial: string };
  }

  /** The cached session (valid or not), without asking anyone or calling AWS. */
  async status(): Promise<SessionStatus | undefined> {
    const cached = await this.cached(0, { includeExpired: true });
    return cached ? describeSession(cached, this.now()) : undefined;
  }

  /**
   * Credentials valid for at least the refresh margin: the cached ones, the AWS CLI's, or
   * new ones from a code the prompt asks for. This is what AwsSettings.credentials calls.
   */
  async credentials(signal?: AbortSignal): Promise<AwsCredentialIdentity> {
    const cached = await this.cached(this.margin);
    if (cached) return toIdentity(cached);
    const previous = await this.cached(0, { includeExpired: true });
    return toIdentity(await this.begin({ reason: previous ? 'expired' : 'start', signal }));
  }

  /** For AwsSettings.credentials: the SDK calls it again when the credentials near their expiry. */
  provider(): AwsCredentialIdentityProvider {
    return () => this.credentials();
  }

  /** Starts a session (or reuses a valid one unless `renew`, or a code is given: a code asks for a new one). */
  async start(options: StartOptions = {}): Promise<SessionStatus> {
    if (!options.renew && options.code === undefined) {
      const cached = await this.cached(this.margin);
      if (cached) return describeSession(cached, this.now());
    }
    return describeSession(await this.begin({ reason: 'start', ...options }), this.now());
  }

  /**
   * Before a long job: makes sure the session lasts the job's estimate, asking for a new
   * code first (not an hour into the job) when it would not. A new session that still ends
   * too soon (the role's maximum session is shorter than the job) is reported, not refused:
   * the SDK will ask for a code again when it runs out.
   */
  async ensureValidFor(estimateMs: number, signal?: AbortSignal): Promise<OutliveCheck> {
    const needed = estimateMs + this.margin;
    const cached = await this.cached(needed);
    if (cached) return { renewed: false, outlives: true, status: describeSession(cached, this.now()) };
    const current = await this.cached(0);
    const session = await this.begin({
      reason: current ? 'outlive' : 'start',
      neededMs: estimateMs,
      ...(current ? { expiresAt: current.expiration } : {}),
      signal,
    });
    const status = describeSession(session, this.now());
    return { renewed: true, outlives: status.remainingMs >= needed, status };
  }

  /**
   * Whether the cached session lasts a job of `estimateMs`, asking nobody: it is used until the
   * refresh margin before its end, so the margin counts. Undefined without a valid session.
   */
  async outlivesWithoutAsking(estimateMs: number): Promise<OutliveCheck | undefined> {
    const status = await this.status();
    if (!status || status.expired) return undefined;
    return { renewed: false, outlives: status.remainingMs >= estimateMs + this.margin, status };
  }

  /** Forgets the cached session (the AWS CLI's own cache is left alone). */
  async clear(): Promise<boolean> {
    const had = (await this.options.store.get(this.storeKey())) !== undefined;
    await this.options.store.delete(this.storeKey());
    return had;
  }

  private storeKey(): string {
    return `${STORE_PREFIX}${this.profile}`;
  }

  /** A cached session valid for at least `minValidMs`, from the store, then the AWS CLI's cache. */
  private async cached(
    minValidMs: number,
    { includeExpired = false }: { includeExpired?: boolean } = {},
  ): Promise<SessionCredentials | undefined> {
    const profile = await this.mfaProfile();
    const now = this.now();
    const stored = parseStoredSession(await this.options.store.get(this.storeKey()));
    // An entry made for another device or role (the profile was edited since) is not this session.
    const matches =
      stored && stored.mfaSerial === profile.mfaSerial && (stored.roleArn ?? undefined) === profile.roleArn;
    if (matches && (includeExpired || new Date(stored.expiration).getTime() - now.getTime() >= minValidMs)) {
      return stored;
    }
    const cliDir = this.options.awsCliCacheDir === undefined ? defaultAwsCliCacheDir() : this.options.awsCliCacheDir;
    if (cliDir && profile.roleArn) {
      const fromCli = await readAwsCliCache(profile, cliDir, now, minValidMs);
      if (fromCli) return fromCli;
    }
    return includeExpired && matches ? stored : undefined;
  }

  /** One start at a time per instance: concurrent callers share it (and its one prompt). */
  private begin(options: StartOptions & { reason: MfaPromptReason }): Promise<SessionCredentials> {
    this.starting ??= this.startNew(options).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async startNew(options: StartOptions & { reason: MfaPromptReason }): Promise<SessionCredentials> {
    const profile = await this.mfaProfile();
    const maxAttempts = this.options.maxAttempts ?? 3;
    let reason = options.reason;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal);
      const code = await this.codeFor(profile, options, reason, attempt);
      try {
        const session = await this.callSts(profile, code, options.signal);
        await this.options.store.set(this.storeKey(), JSON.stringify(session));
        return session;
      } catch (err) {
        const rejected = err instanceof ColdkeepError && err.code === 'MfaCodeRejected';
        // A code given up front is the caller's to fix; a prompted one can be asked again.
        if (!rejected || options.code !== undefined || !this.options.prompt || attempt >= maxAttempts) throw err;
        reason = 'rejected';
      }
    }
  }

  private async codeFor(
    profile: AwsProfile & { mfaSerial: string },
    options: StartOptions,
    reason: MfaPromptReason,
    attempt: number,
  ): Promise<string> {
    if (options.code !== undefined) return checkMfaCode(options.code);
    const prompt = this.options.prompt;
    if (!prompt) {
      const previous = await this.cached(0, { includeExpired: true });
      throw new ColdkeepError(
        'SessionExpired',
        previous
          ? `The MFA session of profile "${profile.name}" expired at ${previous.expiration}.`
          : `There is no MFA session for profile "${profile.name}".`,
        { hint: `Run "coldkeep session start --profile ${profile.name} --code CODE" with your device's current code.` },
      );
    }
    for (let tries = 1; ; tries++) {
      const answer = await prompt.askCode(
        {
          profile: profile.name,
          mfaSerial: profile.mfaSerial,
          reason,
          attempt,
          ...(options.neededMs !== undefined ? { neededMs: options.neededMs } : {}),
          ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
        },
        options.signal,
      );
      if (answer === undefined) throw new CancelledError('No MFA code was given.');
      try {
        return checkMfaCode(answer);
      } catch (err) {
        // A mistyped code never reaches AWS; ask again, up to the same limit.
        if (tries >= (this.options.maxAttempts ?? 3)) throw err;
      }
    }
  }

  private async callSts(
    profile: AwsProfile & { mfaSerial: string },
    code: string,
    signal: AbortSignal | undefined,
  ): Promise<SessionCredentials> {
    const ctx = {
      profile: profile.name,
      mfaSerial: profile.mfaSerial,
      ...(profile.roleArn ? { roleArn: profile.roleArn } : {}),
    };
    const requested = this.now();
    let credentials: Credentials | undefined;
    let assumedRoleArn: string | undefined;
    let sts: STSClient | undefined;
    try {
      if (profile.roleArn) {
        sts = this.sts(this.sourceCredentials(profile), profile);
        const answer = await sts.send(
          new AssumeRoleCommand({
            RoleArn: profile.roleArn,
            RoleSessionName: profile.roleSessionName ?? `coldkeep-${Math.floor(requested.getTime() / 1000)}`,
            SerialNumber: profile.mfaSerial,
            TokenCode: code,
            ...(profile.durationSeconds !== undefined ? { DurationSeconds: profile.durationSeconds } : {}),
            ...(profile.externalId ? { ExternalId: profile.externalId } : {}),
          }),
          { abortSignal: signal },
        );
        credentials = answer.Credentials;
        assumedRoleArn = answer.AssumedRoleUser?.Arn;
      } else {
        sts = this.sts(fromIni({ profile: profile.name, ignoreCache: true, ...this.iniFiles() }), profile);
        const answer = await sts.send(
          new GetSessionTokenCommand({
            SerialNumber: profile.mfaSerial,
            TokenCode: code,
            ...(profile.durationSeconds !== undefined ? { DurationSeconds: profile.durationSeconds } : {}),
          }),
          { abortSignal: signal },
        );
        credentials = answer.Credentials;
      }
    } catch (err) {
      if (signal?.aborted) throw new CancelledError();
      throw fromStsError(err, ctx);
    } finally {
      sts?.destroy();
    }
    if (
      !credentials?.AccessKeyId ||
      !credentials.SecretAccessKey ||
      !credentials.SessionToken ||
      !credentials.Expiration
    ) {
      throw new ColdkeepError('Unexpected', 'STS answered without credentials.', {
        hint: 'Try again; if it keeps happening, check COLDKEEP_ENDPOINT_URL_STS.',
      });
    }
    const expiration = new Date(credentials.Expiration);
    if (expiration.getTime() <= this.now().getTime()) {
      // AWS just issued them, so they cannot have expired: this clock is ahead.
      throw new ColdkeepError(
        'ClockSkew',
        `The new session expires at ${expiration.toISOString()}, which this computer's clock says has passed.`,
        { hint: 'Set the clock right (turn on automatic time / NTP), then start the session again.' },
      );
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: expiration.toISOString(),
      profile: profile.name,
      mode: profile.roleArn ? 'assume-role' : 'session-token',
      mfaSerial: profile.mfaSerial,
      ...(profile.roleArn ? { roleArn: profile.roleArn } : {}),
      ...(assumedRoleArn ? { assumedRoleArn } : {}),
      source: 'sts',
    };
  }

  private iniFiles(): { filepath?: string; configFilepath?: string } {
    const files = this.options.files ?? {};
    const out: { filepath?: string; configFilepath?: string } = {};
    const configFilepath = files.configFilepath ?? this.env.AWS_CONFIG_FILE;
    const filepath = files.filepath ?? this.env.AWS_SHARED_CREDENTIALS_FILE;
    if (configFilepath) out.configFilepath = configFilepath;
    if (filepath) out.filepath = filepath;
    return out;
  }

  /** What signs the AssumeRole call: source_profile through the SDK's own ini provider, or credential_source. */
  private sourceCredentials(profile: AwsProfile): AwsCredentialIdentityProvider {
    if (profile.sourceProfile) {
      return fromIni({ profile: profile.sourceProfile, ignoreCache: true, ...this.iniFiles() });
    }
    switch (profile.credentialSource) {
      case 'Environment':
        return fromEnv();
      case 'Ec2InstanceMetadata':
        return fromInstanceMetadata();
      case 'EcsContainer':
        return fromContainerMetadata();
      default:
        throw new ColdkeepError(
          'InvalidInput',
          `Profile "${profile.name}" has role_arn but neither source_profile nor a known credential_source.`,
          { hint: 'Add "source_profile = NAME" naming the profile with your long-term keys.' },
        );
    }
  }

  private sts(credentials: AwsCredentialIdentityProvider, profile: AwsProfile): STSClient {
    const settings: AwsSettings = { ...this.options.settings, credentials };
    settings.region ??= profile.region;
    delete settings.profile;
    return new STSClient(commonClientConfig(settings, 'sts'));
  }
}
