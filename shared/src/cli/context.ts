import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { type AwsSettings, mergeSettings, SERVICES, settingsFromEnv } from '../base/aws/settings';
import { CancelledError, ColdkeepError, isCancelled } from '../base/errors/ColdkeepError';
import type { Connection } from '../app/connection';
import type { MfaPrompt } from '../base/session/mfaPrompt';
import { coldkeepConfigDir } from '../base/state/configDir';
import { cliSettingWords } from './format';
import { ProgressDisplay } from './progress';

/** Exit codes; 3 (restic's convention): the job finished, but something asked for is not in it. */
export const EXIT = { ok: 0, failed: 1, usage: 2, partial: 3, cancelled: 130 } as const;

/**
 * Thrown by a command after it printed its report, when the job ended `partial`: the CLI exits
 * with EXIT.partial and prints nothing more.
 */
export class PartialOutcome extends Error {
  override readonly name = 'PartialOutcome';
  constructor(readonly headline: string) {
    super(headline);
  }
}

/** Options every command takes. */
export interface GlobalOptions {
  profile?: string;
  region?: string;
  endpointUrl?: string;
  json?: boolean;
}

export interface CliContext {
  /** The flags' and the environment's settings, with the connection's credentials. */
  settings: AwsSettings;
  /** Profile, region and endpoints -> clients, on an MFA session (asked for on a terminal) when the profile has one. */
  connection: Connection;
  json: boolean;
  progress: ProgressDisplay;
  out: (text: string) => void;
}

/**
 * The context of a command's action. Made when the action runs, not when the CLI starts: the
 * credential code (MFA sessions, STS) loads only for a command that talks to AWS as a profile.
 */
export async function makeContext(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<CliContext> {
  const fromFlags: AwsSettings = {};
  if (options.profile) fromFlags.profile = options.profile;
  if (options.region) fromFlags.region = options.region;
  // A flag beats the environment, per-service endpoints included.
  if (options.endpointUrl) {
    fromFlags.endpoint = options.endpointUrl;
    fromFlags.endpoints = Object.fromEntries(SERVICES.map((service) => [service, options.endpointUrl]));
  }
  const settings = mergeSettings(settingsFromEnv(env), fromFlags);
  const { Connection } = await import('../app/connection.js');
  const { FileSecretStore } = await import('../base/session/fileSecretStore.js');
  // MFA sessions go to the 0600 file store; a code is asked on the terminal when there is one
  // (without, an expired session is an error). The prompt's code loads only when a code is asked for.
  const terminal: MfaPrompt = {
    askCode: async (request, signal) =>
      new (await import('./commands/sessionPrompt.js')).TerminalMfaPrompt().askCode(request, signal),
  };
  const connection = new Connection({
    settings,
    store: () => new FileSecretStore(join(coldkeepConfigDir(env), 'secrets.json')),
    ...(process.stdin.isTTY ? { prompt: terminal } : {}),
    env,
  });
  return {
    settings: connection.settings,
    connection,
    json: options.json ?? false,
    progress: new ProgressDisplay(),
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

/** Bucket and prefix from flags or COLDKEEP_BUCKET / COLDKEEP_PREFIX. */
export function requireBucket(bucket: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = bucket ?? env.COLDKEEP_BUCKET;
  if (!value) {
    throw new ColdkeepError('InvalidInput', 'No bucket given.', {
      hint: 'Pass --bucket NAME or set COLDKEEP_BUCKET.',
    });
  }
  return value;
}

/**
 * Runs a command with a cancel signal wired to Ctrl-C: the first press cancels cleanly
 * (uploads aborted, no manifest), a second one exits at once.
 */
export async function withCancel<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  let presses = 0;
  const onSigint = (): void => {
    presses++;
    if (presses === 1) {
      process.stderr.write('\nCancelling cleanly… (press Ctrl-C again to quit at once)\n');
      controller.abort(new CancelledError());
    } else {
      process.exit(EXIT.cancelled);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** Prints an error (code, message, hint) and returns the exit code for it. */
export function reportError(err: unknown, json: boolean): number {
  const cancelled = isCancelled(err);
  const known = err instanceof ColdkeepError;
  const payload = known
    ? err.toJSON(cliSettingWords)
    : { code: 'Unexpected', message: err instanceof Error ? err.message : String(err) };
  if (json) {
    process.stdout.write(JSON.stringify({ ok: false, error: payload }, null, 2) + '\n');
  } else {
    process.stderr.write(`${cancelled ? 'Cancelled' : 'Error'} [${payload.code}]: ${payload.message}\n`);
    if ('hint' in payload && payload.hint) process.stderr.write(`Hint: ${payload.hint}\n`);
    if (!known && process.env.COLDKEEP_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    if (!known && !process.env.COLDKEEP_DEBUG)
      process.stderr.write('Hint: set COLDKEEP_DEBUG=1 for the stack trace.\n');
  }
  return cancelled ? EXIT.cancelled : EXIT.failed;
}
