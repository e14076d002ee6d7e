import { spawn } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The built CLI, as `npm run coldkeep` runs it. */
export const CLI = join(__dirname, '..', '..', '..', 'shared', 'dist', 'cli', 'main.js');

export interface CliRun {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The child's whole environment (callers merge process.env in themselves when they want it). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Sends SIGINT (Ctrl-C) the first time this returns true for the stderr so far. */
  interruptWhen?: (stderr: string) => boolean;
  /** Sends SIGKILL (no chance to clean up, as on a crash or an OOM kill) the first time this returns true for the stderr so far. */
  killWhen?: (stderr: string) => boolean;
  /** Killed after this long, so a hung CLI fails its test instead of the run. Default 120 s. */
  timeoutMs?: number;
  /** A command the CLI runs under, e.g. setpriv to drop root (see AS_NOBODY). */
  wrapper?: string[];
}

/**
 * Runs the child as user nobody (uid/gid 65534, no supplementary groups): the tests run as root,
 * who can read everything. What the child needs (the folder, its HOME/config and schedule
 * folders, the built CLI) must be readable by that user.
 */
export const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/**
 * Lets user nobody reach the built CLI and the node binary: a checkout (or CI's clone) may sit in a
 * folder only root may enter (mktemp's 0700). Each ancestor folder that others may not search gets
 * o+x (search only, nothing listed or read); the returned function puts the modes back.
 */
export async function letNobodyReachTheCli(): Promise<() => Promise<void>> {
  const changed: { dir: string; mode: number }[] = [];
  for (const start of [dirname(CLI), dirname(process.execPath)]) {
    for (let dir = start; ; dir = dirname(dir)) {
      const { mode } = await stat(dir);
      if ((mode & 0o001) === 0 && !changed.some((c) => c.dir === dir)) {
        changed.push({ dir, mode: mode & 0o7777 });
        await chmod(dir, (mode & 0o7777) | 0o001);
      }
      if (dirname(dir) === dir) break;
    }
  }
  return async () => {
    for (const { dir, mode } of changed.reverse()) await chmod(dir, mode);
  };
}

/** Runs the real `coldkeep` CLI in a child process, as a user would, with no terminal. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
    const child = spawn(command!, [...prefix, CLI, ...args], {
      env: options.env ?? process.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (options.interruptWhen && !interrupted && options.interruptWhen(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
      if (options.killWhen && !killed && options.killWhen(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ args, code, stdout, stderr });
    });
  });
}
