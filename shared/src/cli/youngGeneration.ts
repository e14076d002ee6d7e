// The CLI's cap on V8's young generation. On Node 24, V8 lets each semi-space grow to 64 MB on a
// machine with a 4 GB heap limit (Node 20 stopped at 16 MB), and in every long job it grows: a
// 1M-item table restore peaked near 300 MB of RSS where it took 180 MB with 16 MB semi-spaces
// (bench/README.md, "Where Node 24's RSS went"). V8 sizes the young generation when the process
// starts, and `v8.setFlagsFromString` later does not resize it, so the CLI restarts itself once,
// at the very start, with the flag. `process.execve` replaces the process image and keeps its PID:
// signals, a SIGKILL, exit codes, the PIDs that locks record and the terminal all stay those of
// the one process the user started, and no parent is left to forward them. Where it is missing
// (Windows, or a worker thread), the CLI runs as it was started, uncapped. The restart costs one
// more start of Node (~0.03 CPU-s), so only the commands that run a long job take it: `--version`,
// `--help` and the listings start as before.
// Kept free of imports: it runs before anything else is loaded.

/** The V8 flag, and the size Node 20 used for a semi-space: the memory of Node 20 for ~15% more CPU in a scavenge-heavy job. */
export const SEMI_SPACE_FLAG = '--max-semi-space-size';
export const SEMI_SPACE_MB = 16;

/**
 * The commands whose jobs read or write a whole table, folder, snapshot or repository: where the
 * young generation grows. test/unit/cli/youngGeneration.test.ts checks that each names a command.
 */
export const LONG_JOB_COMMANDS: readonly string[] = [
  'backup table',
  'restore',
  'backups verify',
  'backups gc',
  'export table',
  'drill table',
  'files backup',
  'files restore',
  'files verify',
  'files prune',
  'schedule run',
  'demo',
];

/** The global options that take a value (main.ts), skipped to find the command's words. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--profile', '--region', '--endpoint-url']);

/** Whether the CLI's arguments (process.argv without node and the script) name a long job's command. */
export function runsALongJob(args: readonly string[]): boolean {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    words.push(arg);
    if (LONG_JOB_COMMANDS.includes(words.join(' '))) return true;
  }
  return false;
}

/** Whether the flag is in effect already: given by the user (on the command line or in NODE_OPTIONS), or set by the restart. */
export function semiSpaceIsSet(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = (arg: string): boolean => arg === SEMI_SPACE_FLAG || arg.startsWith(`${SEMI_SPACE_FLAG}=`);
  return execArgv.some(given) || (nodeOptions ?? '').split(/\s+/).some(given);
}

/** The command line of the restarted process: Node's own flags kept, the cap first (a user's later flag would win), the script and its arguments as given. */
export function cappedArgv(execPath: string, execArgv: readonly string[], argv: readonly string[]): string[] {
  return [execPath, `${SEMI_SPACE_FLAG}=${SEMI_SPACE_MB}`, ...execArgv, ...argv.slice(1)];
}

/**
 * Replaces this process by the same command with the cap, for a long job's command, unless the
 * cap is in effect already or the platform cannot replace a process. Returns only when it does not restart.
 */
export function restartWithCappedYoungGeneration(): void {
  if (typeof process.execve !== 'function') return;
  if (!runsALongJob(process.argv.slice(2))) return;
  if (semiSpaceIsSet(process.execArgv, process.env.NODE_OPTIONS)) return;
  try {
    // Experimental in Node 24 (its warning is due on the next tick, which the replaced image never
    // reaches); test/e2e/cliYoungGeneration.test.ts proves it on the runtime in use.
    process.execve(process.execPath, cappedArgv(process.execPath, process.execArgv, process.argv), process.env);
  } catch {
    // execve(2) failed (Node's binary gone, say, mid-upgrade): this process is unchanged and runs the command, uncapped.
  }
}
