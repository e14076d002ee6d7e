import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { IpcMainInvokeEvent, MenuItemConstructorOptions } from 'electron';
import {
  CancelledError,
  ColdkeepError,
  newSource,
  type RunRecord,
  type RunReport,
  ScheduleStore,
  Scheduler,
  type SourceRunner,
} from '@coldkeep/shared';
import { ALL_CHANNELS, IpcChannel, type IpcResult } from 'coldkeep-desktop/dist/ipc';
import { type IpcHandlers, type IpcMainLike, registerIpcHandlers } from 'coldkeep-desktop/dist/main/ipcHandlers';
import {
  allJobs,
  applyStartAtLogin,
  catchUpOnResume,
  linuxAutostartEntry,
  type QuitChoice,
  QuitGuard,
} from 'coldkeep-desktop/dist/main/lifecycle';
import { RestoreJobs } from 'coldkeep-desktop/dist/main/restoreJobs';
import { notificationFor, showRunNotification } from 'coldkeep-desktop/dist/main/runNotifications';
import { SafeStorageSecretStore, type SafeStorageLike } from 'coldkeep-desktop/dist/main/safeStorageSecretStore';
import { lastResultOf, type TrayActions, TrayPresenter, type TrayState } from 'coldkeep-desktop/dist/main/trayMenu';

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: 'r1',
    sourceId: 's1',
    sourceName: 'orders',
    kind: 'table',
    trigger: 'schedule',
    startedAt: '2026-01-01T02:00:00.000Z',
    finishedAt: '2026-01-01T02:00:05.000Z',
    durationMs: 5000,
    attempts: 1,
    status: 'succeeded',
    result: { summary: '1,200 items, 3.1 MB', report: {} },
    ...overrides,
  };
}

describe('desktop main: tray', () => {
  /** A fake Tray, and Menu.buildFromTemplate as the identity: the test reads the template itself. */
  function fakeTray() {
    const calls = { images: [] as string[], tooltips: [] as string[], menus: [] as MenuItemConstructorOptions[][] };
    const tray = {
      setImage: (image: string) => calls.images.push(image),
      setToolTip: (tip: string) => calls.tooltips.push(tip),
      setContextMenu: (menu: MenuItemConstructorOptions[] | null) => menu && calls.menus.push(menu),
    };
    const done: string[] = [];
    const actions: TrayActions = {
      backUpAll: () => done.push('all'),
      backUpSource: (id) => done.push(`source:${id}`),
      setPaused: (paused) => done.push(`paused:${paused}`),
      openWindow: () => done.push('open'),
      quit: () => done.push('quit'),
    };
    const presenter = new TrayPresenter<string, MenuItemConstructorOptions[]>(
      tray,
      { idle: 'idle.png', running: 'running.png', warning: 'warning.png', error: 'error.png' },
      (template) => template,
      actions,
    );
    return { calls, done, presenter };
  }

  const click = (item: MenuItemConstructorOptions | undefined): void => (item?.click as (() => void) | undefined)?.();
  const labelled = (menu: MenuItemConstructorOptions[], label: string) => menu.find((i) => i.label === label);

  test('menu: back up all, one source, pause/resume, last result, open, quit; each item does its action', () => {
    const { calls, done, presenter } = fakeTray();
    const state: TrayState = {
      sources: [
        { id: 'a', name: 'orders', running: false },
        { id: 'b', name: '/home/me/photos', running: false },
      ],
      paused: false,
    };
    presenter.show(state);
    const menu = calls.menus.at(-1)!;
    assert.deepEqual(
      menu.map((i) => i.label ?? i.type),
      [
        'Back Up All Now',
        'Back Up',
        'Pause Schedules',
        'separator',
        'Last backup: none yet',
        'separator',
        'Open Coldkeep',
        'Quit Coldkeep',
      ],
    );
    click(labelled(menu, 'Back Up All Now'));
    const submenu = labelled(menu, 'Back Up')!.submenu as MenuItemConstructorOptions[];
    assert.deepEqual(
      submenu.map((i) => i.label),
      ['orders', '/home/me/photos'],
    );
    click(submenu[1]);
    click(labelled(menu, 'Pause Schedules'));
    click(labelled(menu, 'Open Coldkeep'));
    click(labelled(menu, 'Quit Coldkeep'));
    assert.deepEqual(done, ['all', 'source:b', 'paused:true', 'open', 'quit']);

    presenter.show({ ...state, paused: true });
    assert.ok(labelled(calls.menus.at(-1)!, 'Resume Schedules'));
    assert.equal(calls.tooltips.at(-1), 'Coldkeep — schedules paused');
  });

  test('icon shows idle, running and error; the last result is in the menu', () => {
    const { calls, presenter } = fakeTray();
    const sources = [{ id: 'a', name: 'orders', running: false }];
    presenter.show({ sources, paused: false });
    presenter.show({ sources, paused: false });
    presenter.show({ sources: [{ ...sources[0]!, running: true }], paused: false });
    const runningMenu = calls.menus.at(-1)!;
    assert.equal(runningMenu[0]!.label, 'Backing Up…');
    assert.equal(runningMenu[0]!.enabled, false);
    assert.equal((runningMenu[1]!.submenu as MenuItemConstructorOptions[])[0]!.label, 'orders (running)');
    const failed = {
      status: 'failed' as const,
      finishedAt: new Date('2026-01-01T02:00:00Z'),
      summary: 'orders: access denied',
    };
    presenter.show({ sources, paused: false, lastResult: failed });
    presenter.show({
      sources,
      paused: false,
      lastResult: { ...failed, status: 'succeeded', summary: 'orders: 3 items' },
    });
    assert.deepEqual(
      calls.images,
      ['idle.png', 'running.png', 'error.png', 'idle.png'],
      'the icon is set only on a change',
    );
    assert.match(
      calls.menus[3]!.find((i) => i.enabled === false && i.label?.startsWith('Last'))!.label!,
      /FAILED .*orders: access denied/,
    );
    assert.equal(calls.tooltips[3], 'Coldkeep — the last backup failed');
  });

  test('a partial run shows the warning icon and INCOMPLETE, never the success look; a success clears it', () => {
    const { calls, presenter } = fakeTray();
    const sources = [{ id: 's1', name: 'orders', running: false }];
    const partial = run({
      kind: 'folder',
      status: 'partial',
      result: {
        summary: '3 files, 300 B (300 B new); 1 folder and 1 file not backed up',
        status: 'partial',
        incomplete: '1 folder and 1 file not backed up',
        report: {},
      },
    });
    const last = lastResultOf(partial);
    assert.equal(last.status, 'partial');
    presenter.show({ sources, paused: false, lastResult: last });
    assert.deepEqual(calls.images, ['warning.png']);
    assert.equal(calls.tooltips.at(-1), 'Coldkeep — the last backup is incomplete');
    const label = calls.menus.at(-1)!.find((i) => i.label?.startsWith('Last'))!.label!;
    assert.match(label, /^Last backup: INCOMPLETE .*orders: 3 files.*1 folder and 1 file not backed up/);
    assert.doesNotMatch(label, /succeeded/);
    presenter.show({ sources, paused: false, lastResult: lastResultOf(run()) });
    assert.deepEqual(calls.images, ['warning.png', 'idle.png']);
    // A failure after a partial run is an error; a cancel keeps no mark of its own.
    presenter.show({ sources, paused: false, lastResult: lastResultOf(run({ status: 'failed' })) });
    assert.equal(calls.images.at(-1), 'error.png');
  });
});

describe("desktop main: tray and the core's state", () => {
  test('the icon, tooltip and menu follow the overall state the window shows; never the idle look for a failing source', () => {
    const calls = { images: [] as string[], tooltips: [] as string[], menus: [] as MenuItemConstructorOptions[][] };
    const presenter = new TrayPresenter<string, MenuItemConstructorOptions[]>(
      {
        setImage: (image) => calls.images.push(image),
        setToolTip: (tip) => calls.tooltips.push(tip),
        setContextMenu: (menu) => menu && calls.menus.push(menu),
      },
      { idle: 'idle.png', running: 'running.png', warning: 'warning.png', error: 'error.png' },
      (template) => template,
      { backUpAll: () => {}, backUpSource: () => {}, setPaused: () => {}, openWindow: () => {}, quit: () => {} },
    );
    const orders = { id: 'a', name: 'orders', running: false };
    const photos = { id: 'b', name: 'photos', running: false };
    // The last run succeeded, yet a source's drill failed: the tray says failing, not idle.
    const succeeded = { status: 'succeeded' as const, finishedAt: new Date(), summary: 'orders: 3 items' };
    presenter.show({
      sources: [
        { ...orders, status: { state: 'failing', headline: 'last drill failed' } },
        { ...photos, status: { state: 'attention', headline: 'never verified' } },
      ],
      paused: false,
      lastResult: succeeded,
      overall: 'failing',
    });
    assert.deepEqual(calls.images, ['error.png']);
    assert.equal(calls.tooltips.at(-1), 'Coldkeep — failing: orders (last drill failed)');
    const submenu = calls.menus.at(-1)!.find((i) => i.label === 'Back Up')!.submenu as MenuItemConstructorOptions[];
    assert.deepEqual(
      submenu.map((i) => i.label),
      ['orders — last drill failed', 'photos — never verified'],
    );
    presenter.show({
      sources: [{ ...orders, status: { state: 'attention', headline: 'overdue by 2 days' } }],
      paused: false,
      lastResult: succeeded,
      overall: 'attention',
    });
    assert.equal(calls.images.at(-1), 'warning.png');
    assert.equal(calls.tooltips.at(-1), 'Coldkeep — needs attention: orders (overdue by 2 days)');
    presenter.show({
      sources: [{ ...orders, status: { state: 'protected', headline: 'protected' } }],
      paused: false,
      overall: 'protected',
    });
    assert.equal(calls.images.at(-1), 'idle.png');
    assert.equal(calls.tooltips.at(-1), 'Coldkeep — everything protected');
    assert.equal(
      (calls.menus.at(-1)!.find((i) => i.label === 'Back Up')!.submenu as MenuItemConstructorOptions[])[0]!.label,
      'orders',
    );
  });
});

describe('desktop main: notifications', () => {
  test('success and failure notify as the setting says; a cancel never does; a click opens the run', () => {
    assert.equal(notificationFor(run(), 'all')?.title, 'Backed up orders');
    assert.equal(notificationFor(run(), 'failures'), undefined);
    assert.equal(notificationFor(run({ status: 'cancelled' }), 'all'), undefined);
    const failed = run({
      status: 'failed',
      attempts: 4,
      error: { code: 'NoSuchBucket', message: 'Bucket "b" does not exist.', hint: 'Create it.' },
    });
    assert.deepEqual(notificationFor(failed, 'failures'), {
      title: 'Backup of orders failed after 4 tries',
      body: 'Bucket "b" does not exist. Create it.',
      urgent: true,
    });
    assert.equal(notificationFor(failed, 'none'), undefined);

    // Partial: shown even with "failures" (something is not backed up), urgent, never "Backed up".
    const partial = run({
      status: 'partial',
      result: { summary: '3 files, 300 B', status: 'partial', incomplete: '2 files not backed up', report: {} },
    });
    for (const when of ['all', 'failures'] as const) {
      const note = notificationFor(partial, when);
      assert.equal(note?.title, 'Backup of orders INCOMPLETE: 2 files not backed up');
      assert.equal(note?.urgent, true);
    }
    assert.equal(notificationFor(partial, 'none'), undefined);

    const shown: { title: string; urgency: string }[] = [];
    const clicked: string[] = [];
    const emitter = new EventEmitter();
    const made = showRunNotification(
      failed,
      'all',
      (options) => ({
        show: () => shown.push(options),
        on: (event, listener) => emitter.on(event, listener),
      }),
      (r) => clicked.push(r.runId),
    );
    assert.equal(made, true);
    assert.deepEqual(
      shown.map((s) => s.urgency),
      ['critical'],
    );
    emitter.emit('click');
    assert.deepEqual(clicked, ['r1']);
  });
});

describe('desktop main: IPC registration', () => {
  function fakeIpcMain() {
    const handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>();
    const ipcMain: IpcMainLike = {
      handle: (channel, listener) => void handlers.set(channel, listener),
      removeHandler: (channel) => void handlers.delete(channel),
    };
    return { handlers, ipcMain };
  }

  const trusted = { sender: 'app' } as unknown as IpcMainInvokeEvent;
  const stranger = { sender: 'other' } as unknown as IpcMainInvokeEvent;

  test('every channel is registered; inputs are validated before any handler runs; errors keep code and hint', async () => {
    const { handlers, ipcMain } = fakeIpcMain();
    const received: unknown[] = [];
    const impl = new Proxy({} as IpcHandlers, {
      get: (_target, channel: string) => (input: unknown) => {
        received.push([channel, input]);
        if (channel === IpcChannel.RemoveSource) {
          throw new ColdkeepError('NoSuchSource', 'There is no source with id "x".', { hint: 'List them.' });
        }
        if (channel === IpcChannel.GetAppInfo) throw Object.assign(new Error('boom'), { stack: 'secret stack' });
        return 'ok';
      },
    });
    const remove = registerIpcHandlers(
      ipcMain,
      impl,
      (event) => (event as unknown as { sender: string }).sender === 'app',
    );
    assert.deepEqual([...handlers.keys()].sort(), [...ALL_CHANNELS].sort());
    const call = (channel: IpcChannel, input?: unknown, event = trusted) =>
      handlers.get(channel)!(event, input) as Promise<IpcResult<unknown>>;

    assert.deepEqual(await call(IpcChannel.SetPaused, { paused: true }), { ok: true, value: 'ok' });
    const wrongType = await call(IpcChannel.SetPaused, { paused: 'yes' });
    assert.equal(wrongType.ok, false);
    assert.equal(!wrongType.ok && wrongType.error.code, 'InvalidInput');
    assert.match(!wrongType.ok ? wrongType.error.message : '', /at paused/);
    const extraKey = await call(IpcChannel.BackUpNow, { sourceId: 'a', shell: 'rm -rf /' });
    assert.equal(extraKey.ok, false, 'unknown keys are refused');
    const badCode = await call(IpcChannel.StartSession, { code: '12345' });
    assert.match(!badCode.ok ? badCode.error.message : '', /6 digits/);
    const badStack = await call(IpcChannel.DeployStack, { template: 't', stackName: '1-bad', parameters: {} });
    assert.equal(badStack.ok, false);
    const badFolder = await call(IpcChannel.AddSource, { kind: 'folder', dir: '' });
    assert.equal(badFolder.ok, false);
    assert.deepEqual(
      received.map((r) => (r as [string])[0]),
      [IpcChannel.SetPaused],
      'no handler saw invalid input',
    );

    assert.deepEqual(await call(IpcChannel.RemoveSource, { id: 'x' }), {
      ok: false,
      error: { code: 'NoSuchSource', message: 'There is no source with id "x".', hint: 'List them.' },
    });
    assert.deepEqual(await call(IpcChannel.GetAppInfo), { ok: false, error: { code: 'Unexpected', message: 'boom' } });

    assert.throws(() => handlers.get(IpcChannel.ListSources)!(stranger, undefined), /untrusted sender was refused/);
    remove();
    assert.equal(handlers.size, 0);
  });
});

const ok = (summary: string): RunReport => ({ summary, report: {} });

async function schedulerWith(runner: SourceRunner, cron = '0 2 * * *', createdAt = '2026-01-01T00:00:00Z') {
  const store = new ScheduleStore(await mkdtemp(join(tmpdir(), 'coldkeep-desktop-')));
  const source = await store.addSource({ ...newSource({ kind: 'table', table: 'orders', cron }), createdAt });
  const scheduler = new Scheduler({
    store,
    runners: { table: runner, folder: runner },
    retry: { baseMs: 1, maxMs: 2, maxAttempts: 2 },
  });
  return { store, source, scheduler };
}

describe('desktop main: resume and quit', () => {
  test('on resume from sleep, a run missed while asleep is caught up once', async () => {
    let calls = 0;
    const { store, scheduler } = await schedulerWith(async () => {
      calls++;
      return ok('done');
    });
    const powerMonitor = new EventEmitter();
    const errors: unknown[] = [];
    catchUpOnResume(
      powerMonitor as unknown as Parameters<typeof catchUpOnResume>[0],
      () => scheduler.catchUp(),
      (err) => errors.push(err),
    );
    assert.equal(calls, 0);
    powerMonitor.emit('resume');
    await until(async () => (await store.history()).length === 1);
    powerMonitor.emit('resume');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await scheduler.whenIdle();
    const history = await store.history();
    assert.equal(history.length, 1);
    assert.equal(history[0]!.trigger, 'catch-up');
    assert.equal(calls, 1);
    assert.deepEqual(errors, []);
  });

  function blockingRunner() {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const runner: SourceRunner = (_source, { signal }) =>
      new Promise<RunReport>((resolve, reject) => {
        started = true;
        signal?.addEventListener('abort', () => reject(new CancelledError()));
        void gate.then(() => resolve(ok('finished')));
      });
    return { runner, release: () => release(), started: () => started };
  }

  async function quitDuringJob(choice: QuitChoice, behaviour: 'ask' | 'cancel' | 'wait' = 'ask') {
    const blocking = blockingRunner();
    const { store, source, scheduler } = await schedulerWith(blocking.runner);
    const running = scheduler.runNow(source.id);
    await until(blocking.started);
    const quits: string[] = [];
    let asked = 0;
    const guard = new QuitGuard({
      jobs: scheduler,
      behaviour: () => behaviour,
      ask: async () => {
        asked++;
        return choice;
      },
      quit: () => quits.push('quit'),
    });
    assert.equal(guard.beforeQuit(), true, 'the quit is held back while a job runs');
    assert.equal(guard.beforeQuit(), true, 'asking twice shows one dialog');
    return { guard, quits, asked: () => asked, running, store, release: blocking.release, scheduler };
  }

  test('quit during a job, "cancel": the run stops cleanly (history: cancelled), then the app quits', async () => {
    const { guard, quits, asked, running } = await quitDuringJob('cancel');
    assert.equal((await running).status, 'cancelled');
    await until(() => quits.length === 1);
    assert.equal(asked(), 1);
    assert.equal(guard.beforeQuit(), false, 'the second quit goes through');
  });

  test('quit during a job, "wait": the app quits only after the run has finished', async () => {
    const { quits, running, release, store } = await quitDuringJob('wait');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(quits, []);
    release();
    assert.equal((await running).status, 'succeeded');
    await until(() => quits.length === 1);
    assert.equal((await store.history())[0]!.status, 'succeeded');
  });

  test('quit during a job, "keep running": nothing stops; the setting "cancel" skips the question', async () => {
    const stay = await quitDuringJob('stay');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(stay.quits, []);
    assert.equal(stay.scheduler.isRunning, true);
    stay.release();
    await stay.running;

    const setting = await quitDuringJob('stay', 'cancel');
    assert.equal((await setting.running).status, 'cancelled');
    await until(() => setting.quits.length === 1);
    assert.equal(setting.asked(), 0);
  });

  test('a restore from the window: one per source at a time, cancelled from the page or by quitting', async () => {
    const restores = new RestoreJobs();
    const started: string[] = [];
    // A restore that runs until cancelled, failing then as the core's restores do.
    const untilCancelled = (name: string) => (signal: AbortSignal) =>
      new Promise<string>((_resolve, reject) => {
        started.push(name);
        signal.addEventListener('abort', () => reject(new CancelledError('Restore cancelled.')));
      });
    const first = restores.run('src-a', untilCancelled('a'));
    await assert.rejects(restores.run('src-a', untilCancelled('again')), { code: 'RunInProgress' });
    assert.deepEqual(started, ['a'], 'the second restore of a source never started');
    assert.equal(await restores.run('src-b', async () => 'b done'), 'b done', 'another source is not held back');
    assert.equal(restores.isRunning, true);
    assert.equal(restores.cancel('src-b'), false, 'nothing to cancel once it has finished');
    assert.equal(restores.cancel('src-a'), true);
    await assert.rejects(first, { code: 'Cancelled' });
    assert.equal(restores.isRunning, false);

    // Quitting sees a restore as a running job, next to the scheduler's runs, and cancels it.
    const { scheduler } = await schedulerWith(async () => ok('done'));
    const restoring = restores.run('src-c', untilCancelled('c'));
    restoring.catch(() => undefined);
    const quits: string[] = [];
    const guard = new QuitGuard({
      jobs: allJobs(scheduler, restores),
      behaviour: () => 'cancel',
      ask: async () => assert.fail('the setting says cancel'),
      quit: () => quits.push('quit'),
    });
    assert.equal(guard.beforeQuit(), true, 'held back while the restore runs');
    await assert.rejects(restoring, { code: 'Cancelled' });
    await until(() => quits.length === 1);
    assert.equal(guard.beforeQuit(), false);
  });

  test('no job: quitting is not held back', () => {
    const guard = new QuitGuard({
      jobs: { isRunning: false, cancelAll: async () => undefined, whenIdle: async () => undefined },
      behaviour: () => 'ask',
      ask: async () => assert.fail('not asked'),
      quit: () => assert.fail('not called'),
    });
    assert.equal(guard.beforeQuit(), false);
  });
});

describe('desktop main: secrets and login', () => {
  /** A stand-in for the OS encryption: reversible, and visibly not the plain text. */
  function fakeSafeStorage(available: boolean, backend = 'gnome_libsecret'): SafeStorageLike {
    return {
      isEncryptionAvailable: () => available,
      getSelectedStorageBackend: () => backend as ReturnType<NonNullable<SafeStorageLike['getSelectedStorageBackend']>>,
      encryptString: (text) => Buffer.from(`sealed:${Buffer.from(text).reverse().toString('hex')}`),
      decryptString: (buffer) => {
        const text = buffer.toString();
        if (!text.startsWith('sealed:')) throw new Error('not sealed');
        return Buffer.from(text.slice(7), 'hex').reverse().toString();
      },
    };
  }

  test('secrets are stored sealed by safeStorage in a 0600 file, and read back', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'coldkeep-secrets-')), 'secrets.json');
    const store = new SafeStorageSecretStore(fakeSafeStorage(true), path, 'linux');
    await store.set('coldkeep.session.dev', '{"secretAccessKey":"TOPSECRET"}');
    assert.equal(await store.get('coldkeep.session.dev'), '{"secretAccessKey":"TOPSECRET"}');
    const onDisk = await readFile(path, 'utf8');
    assert.doesNotMatch(onDisk, /TOPSECRET/);
    if (process.platform !== 'win32') assert.equal((await stat(path)).mode & 0o777, 0o600);
    await store.delete('coldkeep.session.dev');
    assert.equal(await store.get('coldkeep.session.dev'), undefined);
  });

  test('without OS encryption (or with Linux basic_text) nothing is stored, and the error says why', async () => {
    for (const safeStorage of [fakeSafeStorage(false), fakeSafeStorage(true, 'basic_text')]) {
      const path = join(await mkdtemp(join(tmpdir(), 'coldkeep-secrets-')), 'secrets.json');
      const store = new SafeStorageSecretStore(safeStorage, path, 'linux');
      await assert.rejects(
        store.set('k', 'v'),
        (err: unknown) =>
          err instanceof ColdkeepError && err.code === 'EncryptionUnavailable' && /MFA code/.test(err.hint ?? ''),
      );
      await assert.rejects(stat(path), /ENOENT/);
    }
  });

  test('start at login: login items on macOS and Windows, an autostart entry on Linux', () => {
    const settings: unknown[] = [];
    const app = { setLoginItemSettings: (s: unknown) => void settings.push(s) };
    assert.equal(applyStartAtLogin(app, true, 'darwin'), true);
    assert.equal(applyStartAtLogin(app, false, 'win32'), true);
    assert.equal(applyStartAtLogin(app, true, 'linux'), false);
    assert.deepEqual(settings, [
      { openAtLogin: true, args: ['--hidden'] },
      { openAtLogin: false, args: ['--hidden'] },
    ]);
    assert.match(
      linuxAutostartEntry('/opt/Cold "keep"/coldkeep'),
      /^Exec="\/opt\/Cold \\"keep\\"\/coldkeep" --hidden$/m,
    );
  });
});
