import {
  type AwsSettings,
  type BackupTableInput,
  ColdkeepError,
  DEFAULT_LIFECYCLE_TAG,
  type EngineChoice,
  mergeSettings,
  type NotifySettings,
  notifySettingsFrom,
  SERVICES,
  type ServiceName,
  settingsFromEnv,
  type StorageOptions,
} from '@coldkeep/shared';

/** The part of vscode.WorkspaceConfiguration the settings need (a plain object in unit tests). */
export interface ConfigurationLike {
  get<T>(key: string): T | undefined;
}

/** The extension's settings (`coldkeep.*` in package.json), read and checked. */
export interface ExtensionSettings {
  profile?: string;
  region?: string;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  endpoints: Partial<Record<ServiceName, string>>;
  /** Undefined: chosen from the table size. */
  segments?: number;
  readFraction: number;
  /** Table backup engine: scan, export (DynamoDB's managed export, needs PITR) or auto. */
  engine: EngineChoice;
  /** Null: no lifecycle tag. */
  lifecycleTag: { key: string; value: string } | null;
  sse?: StorageOptions['sse'];
  notifyTo: string[];
  notifyFrom?: string;
}

export const SECTION = 'coldkeep';

function text(config: ConfigurationLike, key: string): string | undefined {
  const value = config.get<string>(key);
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function invalid(setting: string, message: string, hint: string): ColdkeepError {
  return new ColdkeepError('InvalidInput', `Setting coldkeep.${setting}: ${message}`, { hint });
}

/** "key=value", empty for none. */
export function parseLifecycleTag(raw: string | undefined): { key: string; value: string } | null {
  if (raw === undefined) return { ...DEFAULT_LIFECYCLE_TAG };
  if (!raw.trim()) return null;
  const match = /^([^=\s]+)=(\S*)$/.exec(raw.trim());
  if (!match) {
    throw invalid(
      'lifecycleTag',
      `"${raw}" is not key=value.`,
      'Write it like coldkeep-lifecycle=archive, or leave it empty for no tag.',
    );
  }
  return { key: match[1]!, value: match[2]! };
}

export function readSettings(config: ConfigurationLike): ExtensionSettings {
  const endpoints: Partial<Record<ServiceName, string>> = {};
  const rawEndpoints = config.get<Record<string, unknown>>('endpoints') ?? {};
  for (const [service, url] of Object.entries(rawEndpoints)) {
    if (!(SERVICES as readonly string[]).includes(service)) {
      throw invalid('endpoints', `"${service}" is not a service Coldkeep uses.`, `Use one of ${SERVICES.join(', ')}.`);
    }
    if (typeof url === 'string' && url.trim())
      endpoints[service as ServiceName] = checkUrl(`endpoints.${service}`, url.trim());
  }
  const endpoint = text(config, 'endpoint');
  const segmentsSetting = config.get<number>('segments');
  const segments = segmentsSetting ? segmentsSetting : undefined;
  if (segments !== undefined && (!Number.isInteger(segments) || segments < 1 || segments > 1_000_000)) {
    throw invalid(
      'segments',
      `${segments} is not a whole number from 1 to 1000000.`,
      'Use 0 to let Coldkeep choose from the table size.',
    );
  }
  const readFraction = config.get<number>('readFraction') ?? 0.5;
  if (!(readFraction > 0 && readFraction <= 1)) {
    throw invalid(
      'readFraction',
      `${readFraction} is not a fraction above 0 and at most 1.`,
      'The default, 0.5, reads at half the provisioned read capacity.',
    );
  }
  const sseSetting = config.get<string>('sse') ?? 'none';
  const kmsKeyId = text(config, 'kmsKeyId');
  let sse: StorageOptions['sse'];
  if (sseSetting === 'AES256') sse = { type: 'AES256' };
  else if (sseSetting === 'aws:kms') sse = kmsKeyId ? { type: 'aws:kms', kmsKeyId } : { type: 'aws:kms' };
  else if (sseSetting !== 'none') {
    throw invalid(
      'sse',
      `"${sseSetting}" is not none, AES256 or aws:kms.`,
      'Pick one of the values the settings editor offers.',
    );
  }
  const engine = config.get<string>('engine') ?? 'auto';
  if (!isEngineChoice(engine)) {
    throw invalid(
      'engine',
      `"${engine}" is not auto, scan or export.`,
      'Pick one of the values the settings editor offers.',
    );
  }
  const notifyTo = (text(config, 'notifyTo') ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const settings: ExtensionSettings = {
    endpoints,
    readFraction,
    engine,
    lifecycleTag: parseLifecycleTag(config.get<string>('lifecycleTag')),
    notifyTo,
  };
  const assign = <K extends keyof ExtensionSettings>(key: K, value: ExtensionSettings[K] | undefined): void => {
    if (value !== undefined) settings[key] = value;
  };
  assign('profile', text(config, 'profile'));
  assign('region', text(config, 'region'));
  assign('bucket', text(config, 'bucket'));
  assign('prefix', config.get<string>('prefix'));
  assign('endpoint', endpoint ? checkUrl('endpoint', endpoint) : undefined);
  assign('segments', segments);
  assign('sse', sse);
  assign('notifyFrom', text(config, 'notifyFrom'));
  return settings;
}

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'scan', 'export'];

export function isEngineChoice(value: unknown): value is EngineChoice {
  return (ENGINE_CHOICES as readonly unknown[]).includes(value);
}

function checkUrl(setting: string, url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  throw invalid(
    setting,
    `"${url}" is not an http(s) URL.`,
    'For the local emulators it looks like http://127.0.0.1:4567.',
  );
}

/**
 * AWS settings: the environment (COLDKEEP_ENDPOINT_URL…, AWS_PROFILE, AWS_REGION) first,
 * then what the user set in VS Code, which wins.
 */
export function awsSettingsFrom(settings: ExtensionSettings, env: NodeJS.ProcessEnv = process.env): AwsSettings {
  const own: AwsSettings = {};
  if (settings.profile) own.profile = settings.profile;
  if (settings.region) own.region = settings.region;
  if (settings.endpoint) own.endpoint = settings.endpoint;
  if (Object.keys(settings.endpoints).length) own.endpoints = settings.endpoints;
  return mergeSettings(settingsFromEnv(env), own);
}

/** The storage and scan options of a table backup, from the settings. */
export function backupInputFrom(settings: ExtensionSettings, table: string, bucket: string): BackupTableInput {
  const input: BackupTableInput = {
    table,
    bucket,
    readFraction: settings.readFraction,
    lifecycleTag: settings.lifecycleTag,
    engine: settings.engine,
  };
  if (settings.prefix !== undefined) input.prefix = settings.prefix;
  if (settings.segments !== undefined) input.segments = settings.segments;
  if (settings.sse) input.sse = settings.sse;
  return input;
}

/** Who gets an email after a job; undefined when no recipient is set. */
export function notifySettingsOf(settings: ExtensionSettings): NotifySettings | undefined {
  if (!settings.notifyTo.length) return undefined;
  return notifySettingsFrom(
    { notify: settings.notifyTo, ...(settings.notifyFrom ? { from: settings.notifyFrom } : {}) },
    {},
  );
}
