// Runs in the page, without Node: the only way out is `window.coldkeep`, exposed by the preload.
// Bundled by esbuild into one classic script (dist/renderer/renderer.js).
import type { ColdkeepApi } from '../ipc';
import { errorBox, h, replaceChildren } from './dom';
import { historyPage } from './pages/history';
import type { Page } from './pages/page';
import { restorePage } from './pages/restore';
import { schedulesPage } from './pages/schedules';
import { settingsPage } from './pages/settings';
import { sourcesPage } from './pages/sources';
import { stacksPage } from './pages/stacks';

const pages: Record<string, { title: string; page: Page }> = {
  sources: { title: 'Sources', page: sourcesPage },
  schedules: { title: 'Schedules', page: schedulesPage },
  history: { title: 'History', page: historyPage },
  restore: { title: 'Restore', page: restorePage },
  stacks: { title: 'Stacks', page: stacksPage },
  settings: { title: 'Settings', page: settingsPage },
};

let leave: (() => void) | void;

async function route(api: ColdkeepApi): Promise<void> {
  const [name = 'sources', ...args] = location.hash.replace(/^#/, '').split('/');
  const entry = pages[name] ?? pages.sources!;
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.getAttribute('href') === `#${name}`);
  leave?.();
  const main = document.getElementById('page')!;
  main.setAttribute('data-page', name in pages ? name : 'sources');
  try {
    leave = await entry.page(main, api, args);
  } catch (err) {
    replaceChildren(main, errorBox(err));
  }
}

async function start(): Promise<void> {
  const api = window.coldkeep;
  const nav = document.getElementById('nav')!;
  replaceChildren(nav, ...Object.entries(pages).map(([name, { title }]) => h('a', { href: `#${name}` }, title)));
  const info = document.getElementById('app-info')!;
  api
    .getAppInfo()
    .then((i) => replaceChildren(info, `${i.name} ${i.version} · Electron ${i.electronVersion} · ${i.platform}`))
    .catch((err: unknown) => replaceChildren(info, errorBox(err)));
  window.addEventListener('hashchange', () => void route(api));
  await route(api);
}

void start();
