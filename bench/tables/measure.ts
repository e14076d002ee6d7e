/**
 * Measuring child processes: wall time, CPU seconds and peak RSS of a command (through
 * Debian's /usr/bin/time, which reports the rusage of the process it waits for), and the
 * CPU seconds of another process (the emulators) from /proc/<pid>/stat.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

/** utime + stime of a process (all its threads), in seconds. */
export function processCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * utime + stime of a process's main thread alone: for a Node process, its JavaScript. A main
 * thread busy all the time is the sign of a single-threaded server at its limit.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export function processRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export interface TimedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallSeconds: number;
  /** user + system CPU of the command, from /usr/bin/time. */
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  peakRssBytes: number;
  stdout: string;
  stderr: string;
}

export interface TimedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Send stdout to this file instead of collecting it. */
  stdoutFile?: string;
  timeoutMs: number;
  /** Where /usr/bin/time writes its figures. */
  timeFile: string;
  onStderr?: (text: string) => void;
}

/** Process groups still running, so that cleanup can end them (and only them). */
const running = new Set<number>();

export function killRunning(): void {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** Runs `command args` under /usr/bin/time in a process group of its own, bounded in time. */
export async function timed(command: string, args: string[], options: TimedOptions): Promise<TimedResult> {
  const out = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined;
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-o', options.timeFile, '-f', '%e %U %S %M', command, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', out ?? 'pipe', 'pipe'],
  });
  if (child.pid) running.add(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
    options.onStderr?.(c.toString());
  });
  const timer = setTimeout(() => {
    stderr += `\n[bench] killed after ${options.timeoutMs / 1000} s\n`;
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }, options.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => {
    clearTimeout(timer);
    if (child.pid) running.delete(child.pid);
    if (out !== undefined) closeSync(out);
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  let userSeconds = NaN;
  let systemSeconds = NaN;
  let peakRssBytes = NaN;
  if (existsSync(options.timeFile)) {
    // "Command exited with non-zero status N" may come first; the figures are the last line.
    const last = readFileSync(options.timeFile, 'utf8').trim().split('\n').pop() ?? '';
    const [, user, system, maxRssKb] = last.split(' ').map(Number);
    userSeconds = user ?? NaN;
    systemSeconds = system ?? NaN;
    peakRssBytes = (maxRssKb ?? NaN) * 1024;
    await rm(options.timeFile, { force: true });
  }
  return {
    code,
    signal,
    wallSeconds,
    cpuSeconds: userSeconds + systemSeconds,
    userSeconds,
    systemSeconds,
    peakRssBytes,
    stdout,
    stderr,
  };
}

/**
 * CPU seconds the whole machine spent running anything (not idle, not waiting for I/O, not
 * stolen by the hypervisor), from /proc/stat.
 */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq!) / CLOCK_TICKS;
}
