import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { dispatch, type IpcHandlers } from 'coldkeep-desktop/dist/main/ipcHandlers';

const repo = join(__dirname, '..', '..', '..');
export const ARTIFACTS = join(repo, 'test', 'artifacts');
const PAGE = pathToFileURL(join(repo, 'desktop', 'src', 'renderer', 'index.html')).href;

/** Debian's chromium, headless, as /work/shared/testing.md describes; never a downloaded browser. */
export const CHROMIUM = process.env.COLDKEEP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The page's `window.coldkeep`, made by the production `makeApi` from ipc.ts, over an invoke that
 * Playwright routes to the real main-process handlers (`dispatch`, the same function the Electron
 * registration uses). Bundled here like the preload is.
 */
async function apiScript(): Promise<string> {
  const result = await build({
    stdin: {
      contents:
        "import { makeApi } from './desktop/src/ipc';\n" +
        'const invoke = (channel, input) => window.__coldkeepInvoke(channel, input);\n' +
        "Object.defineProperty(window, 'coldkeep', { value: makeApi(invoke) });\n",
      resolveDir: repo,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
  });
  return result.outputFiles[0]!.text;
}

export interface RendererSession {
  browser: Browser;
  page: Page;
  /** Console errors and uncaught exceptions of the page (a test asserts there are none). */
  pageErrors: string[];
  open(hash: string): Promise<void>;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openRenderer(handlers: IpcHandlers): Promise<RendererSession> {
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  await context.exposeBinding('__coldkeepInvoke', (_source, channel: string, input: unknown) =>
    dispatch(handlers, channel, input),
  );
  await context.addInitScript({ content: await apiScript() });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  return {
    browser,
    page,
    pageErrors,
    open: async (hash) => {
      await page.goto(`${PAGE}#${hash}`);
      await page.waitForSelector(`#page[data-page="${hash.split('/')[0]}"]`);
    },
    screenshot: async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    close: () => browser.close(),
  };
}
