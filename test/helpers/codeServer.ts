import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * A real VS Code (the server inside code-server from npm), for the extension's tests. It is
 * installed on first use into the ignored .vscode-test/ folder, from npm alone (its ripgrep ships
 * inside @vscode/ripgrep-universal). 4.139 (VS Code 1.139) needs Node 24, Coldkeep's runtime.
 */
export const CODE_SERVER_VERSION = '4.139.1';
export const REPO = join(__dirname, '..', '..', '..');
const HOME = join(REPO, '.vscode-test');
// One folder per version, so that a checkout that had another version installs this one.
const INSTALL_DIR = join(HOME, `code-server-${CODE_SERVER_VERSION}`);
const SERVER_MAIN = join(INSTALL_DIR, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
}

/** Installs code-server (about a minute, once) unless it is there. */
export function ensureCodeServer(): string {
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new Error(
      `code-server ${CODE_SERVER_VERSION} needs Node 24; this is ${process.version}. ` +
        'Run the tests through "npm test", or: bash .ci/node-runtime.sh node test/run.mjs vscodeExtension',
    );
  }
  if (existsSync(SERVER_MAIN)) return SERVER_MAIN;
  const tmp = join(HOME, 'tmp');
  mkdirSync(tmp, { recursive: true });
  mkdirSync(INSTALL_DIR, { recursive: true });
  writeFileSync(
    join(INSTALL_DIR, 'package.json'),
    JSON.stringify({
      name: 'coldkeep-code-server',
      private: true,
      dependencies: { 'code-server': CODE_SERVER_VERSION },
    }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: INSTALL_DIR,
    env: { ...process.env, TMPDIR: tmp, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' },
  });
  if (!existsSync(SERVER_MAIN)) throw new Error(`code-server ${CODE_SERVER_VERSION} installed without ${SERVER_MAIN}.`);
  return SERVER_MAIN;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningCodeServer {
  url: string;
  port: number;
  dirs: { userData: string; serverData: string; extensions: string };
  log: () => string;
  stop(): Promise<void>;
}

/** Starts the VS Code server on loopback in its own process group (stop() ends the group). */
export async function startCodeServer(options: {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** A VSIX to install first (with the same folders), as a user would. */
  install?: string;
}): Promise<RunningCodeServer> {
  const main = ensureCodeServer();
  const port = await freePort();
  const dirs = {
    userData: join(options.dir, 'user-data'),
    serverData: join(options.dir, 'server-data'),
    extensions: join(options.dir, 'extensions'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  const userSettings = JSON.stringify({
    'remote.autoForwardPorts': false,
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'workbench.tips.enabled': false,
    'chat.disableAIFeatures': true,
  });
  // The server reads user settings from the server data folder; the web client from user-data.
  for (const base of [dirs.userData, join(dirs.serverData, 'data')]) {
    mkdirSync(join(base, 'User'), { recursive: true });
    writeFileSync(join(base, 'User', 'settings.json'), userSettings);
  }
  const folders = [
    '--user-data-dir',
    dirs.userData,
    '--server-data-dir',
    dirs.serverData,
    '--extensions-dir',
    dirs.extensions,
  ];
  if (options.install) {
    execFileSync(
      process.execPath,
      [main, ...folders, '--accept-server-license-terms', '--install-extension', options.install],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: options.env,
      },
    );
  }
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      main,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      '--accept-server-license-terms',
      '--enable-smoke-test-driver',
      '--disable-telemetry',
      '--disable-workspace-trust',
      ...folders,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: options.env },
  );
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The VS Code server exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/version`);
      if (response.ok || response.status === 404) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`The VS Code server did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port,
    dirs,
    log: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The workbench URL for a folder, with the extension under development (and its tests). */
export function workbenchUrl(
  server: RunningCodeServer,
  folder: string,
  extension: { developmentPath: string; testsPath?: string },
): string {
  const remote = (path: string): string => `vscode-remote://127.0.0.1:${server.port}${path}`;
  const payload: [string, string][] = [['extensionDevelopmentPath', remote(extension.developmentPath)]];
  if (extension.testsPath) payload.push(['extensionTestsPath', remote(extension.testsPath)]);
  return `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Headless Debian Chromium flags (see ../shared/testing.md). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const CHROMIUM = process.env.COLDKEEP_CHROMIUM ?? '/usr/bin/chromium';
