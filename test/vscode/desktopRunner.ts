/**
 * The extension-host suite (index.ts beside this file) in desktop VS Code, through
 * `@vscode/test-electron`, the standard runner for extension tests: `npm run test:vscode-desktop`.
 *
 * It needs a VS Code: downloaded by the runner (a machine with internet; `COLDKEEP_VSCODE_VERSION`,
 * default `stable`), or given by path (`COLDKEEP_VSCODE_EXECUTABLE`). On Linux without a display,
 * run it under `xvfb-run -a`. Where neither is possible (these machines reach only the npm
 * registry), it stops at once and says so; `node test/run.mjs vscodeExtension` runs the same suite
 * in code-server, which is what CI runs.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { REPO } from '../helpers/codeServer';
import { prepareExtensionWorkspace } from '../helpers/vscodeWorkspace';

const EXTENSION = join(REPO, 'extension');
const HOST_SUITE = join(__dirname, 'index.js');

async function vscodeExecutable(): Promise<string> {
  const given = process.env.COLDKEEP_VSCODE_EXECUTABLE;
  if (given) return given;
  const version = process.env.COLDKEEP_VSCODE_VERSION ?? 'stable';
  try {
    return await downloadAndUnzipVSCode({ version, cachePath: join(REPO, '.vscode-test'), timeout: 15_000 });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Could not download VS Code ${version} (${why}).\n` +
        'Set COLDKEEP_VSCODE_EXECUTABLE to a VS Code binary, or run the same suite in code-server: ' +
        'node test/run.mjs vscodeExtension (what CI runs).',
      { cause: err },
    );
  }
}

async function main(): Promise<number> {
  // Resolve VS Code before anything starts, so that a machine without it fails at once.
  const vscodeExecutablePath = await vscodeExecutable();
  execFileSync(process.execPath, [join(EXTENSION, 'esbuild.mjs')], { stdio: 'inherit' });
  const seeded = await prepareExtensionWorkspace(300);
  try {
    return await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: EXTENSION,
      extensionTestsPath: HOST_SUITE,
      extensionTestsEnv: seeded.env,
      launchArgs: [
        seeded.workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        `--user-data-dir=${join(seeded.work, 'user-data')}`,
      ],
    });
  } finally {
    await seeded.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test:vscode-desktop: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
