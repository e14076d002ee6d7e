// The CLI's cap on V8's young generation. On Node 24, V8 lets each semi-space grow to 64 MB on a
// machine with a 4 GB heap limit (Node 20 stopped at 16 MB), and in every long job it grows: a
// 1M-item table restore peaked at 259–300 MB of RSS, against 177 MB on Node 20 (bench/README.md,
// "Where Node 24's RSS went"). V8 sizes the young generation when the process
// starts, and `v8.setFlagsFromString` later does not resize it, so the CLI restarts itself once,
// at the very start, with the flag. `process.execve` replaces the process image and keeps its PID:
// signals, a SIGKILL, exit codes, the PIDs that locks record and the terminal all stay those of
// the one process the user started, and no parent is left to forward them. Where it is missing
// (Windows, or a worker thread), the CLI runs as it was started, uncapped. The restart costs one
// more start of Node (~0.04 CPU-s), so only the commands that run a long job take it: `--version`,
// `--help` and the listings start as before.
// Kept free of imports: it runs before anything else is loaded.

export const SEMI_SPACE_FLAG = '--max-semi-space-size';

/**
 * The commands whose jobs read or write a whole table, folder, snapshot or repository (where the
 * young generation grows), and the semi-space each gets, in MB. 16 is Node 20's: 14–34 MiB less
 * than Node 24's default in the folder jobs, at the same scavenge time. A table backup and restore
 * (and a drill, which is a restore) get 8: at 16 a 1M-item restore still peaked at 210 MB and a
 * backup at 235 MB, over the 200 MB they must stay under; 8 took 22–34 MB more off them (188
 * and 201 MB) for ~0.6 CPU-s per 100k restored items of scavenges (bench/README.md). An export
 * (not measured) keeps 16. test/unit/cli/youngGeneration.test.ts checks that each names a command.
 */
export const SEMI_SPACE_MB_BY_COMMAND: Readonly<Record<string, number>> = {
  'backup table': 8,
  restore: 8,
  'drill table': 8,
  'backups verify': 16,
  'backups gc': 16,
  'export table': 16,
  'files backup': 16,
  'files restore': 16,
  'files verify': 16,
  'files prune': 16,
  'schedule run': 16,
  demo: 16,
};

/** The global options that take a value (main.ts), skipped to find the command's words. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--profile', '--region', '--endpoint-url']);

/** The long job's command the CLI's arguments (process.argv without node and the script) name, if they name one. */
export function longJobCommand(args: readonly string[]): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    words.push(arg);
    if (Object.hasOwn(SEMI_SPACE_MB_BY_COMMAND, words.join(' '))) return words.join(' ');
  }
  return undefined;
}

/** The Node flags a long job's command runs with (also what the benchmarks give their workers). */
export function nodeFlagsFor(command: string): string[] {
  const mb = SEMI_SPACE_MB_BY_COMMAND[command];
  return mb === undefined ? [] : [`${SEMI_SPACE_FLAG}=${mb}`];
}

/** Whether the flag is in effect already: given by the user (on the command line or in NODE_OPTIONS), or set by the restart. */
export function semiSpaceIsSet(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = (arg: string): boolean => arg === SEMI_SPACE_FLAG || arg.startsWith(`${SEMI_SPACE_FLAG}=`);
  return execArgv.some(given) || (nodeOptions ?? '').split(/\s+/).some(given);
}

/** The command line of the restarted process: the cap first (a user's later flag would win), Node's own flags kept, the script and its arguments as given. */
export function cappedArgv(
  execPath: string,
  flags: readonly string[],
  execArgv: readonly string[],
  argv: readonly string[],
): string[] {
  return [execPath, ...flags, ...execArgv, ...argv.slice(1)];
}

/**
 * Replaces this process by the same command with the cap, for a long job's command, unless the
 * cap is in effect already or the platform cannot replace a process. Returns only when it does not restart.
 */
export function restartWithCappedYoungGeneration(): void {
  if (typeof process.execve !== 'function') return;
  const command = longJobCommand(process.argv.slice(2));
  if (command === undefined) return;
  if (semiSpaceIsSet(process.execArgv, process.env.NODE_OPTIONS)) return;
  const argv = cappedArgv(process.execPath, nodeFlagsFor(command), process.execArgv, process.argv);
  try {
    // Experimental in Node 24 (its warning is due on the next tick, which the replaced image never
    // reaches); test/e2e/cliYoungGeneration.test.ts proves it on the runtime in use.
    process.execve(process.execPath, argv, process.env);
  } catch {
    // execve(2) failed (Node's binary gone, say, mid-upgrade): this process is unchanged and runs the command, uncapped.
  }
}
