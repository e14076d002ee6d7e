/**
 * The Node flags the coldkeep CLI runs its commands with, read from the build under test
 * (`shared/dist/cli/youngGeneration.js`: V8's young generation capped, per command). The benchmarks' workers
 * call the core directly, in a process of their own; they are given the CLI's flags so that their
 * figures are those of the CLI. A build from before the CLI set any gives none.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function cliNodeFlags(distDir: string, command: string): string[] {
  const module = join(distDir, 'cli', 'youngGeneration.js');
  if (!existsSync(module)) return [];
  // A path known only at run time, loaded the way the package itself is (CommonJS).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { nodeFlagsFor } = require(module) as { nodeFlagsFor: (command: string) => string[] };
  return nodeFlagsFor(command);
}
