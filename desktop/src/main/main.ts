// Wiring only: hands the real Electron objects to the modules beside this file.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  net,
  Notification,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  Tray,
} from 'electron';
import { defaultScheduleDir, TOOL_NAME, TOOL_VERSION } from '@coldkeep/shared';
import { appFileFor, appPageUrl, appSchemePrivileges, APP_SCHEME, isAppPageUrl } from './appProtocol';
import { ColdkeepApp } from './coldkeepApp';
import { desktopHint } from './hintWords';
import { registerIpcHandlers } from './ipcHandlers';
import { applyStartAtLogin, catchUpOnResume, linuxAutostartEntry, QuitGuard, type QuitChoice } from './lifecycle';
import { showRunNotification } from './runNotifications';
import { encryptionProblem, SafeStorageSecretStore } from './safeStorageSecretStore';
import { denyAllPermissions, lockDownWebContents } from './security';
import { coreFolderBackups } from './folderBackups';
import { stacksFrom } from './stacksService';
import { lastResultOf, type TrayIconState, TrayPresenter, type TrayState } from './trayMenu';

const packageRoot = join(__dirname, '../..');
const preloadPath = join(__dirname, '../preload/preload.js');
const assets = join(__dirname, '../../assets');

// Must be said before the app is ready: the page's scheme behaves like a secure web origin.
protocol.registerSchemesAsPrivileged([appSchemePrivileges]);

async function setLinuxAutostart(enabled: boolean): Promise<void> {
  const file = join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'autostart', 'coldkeep.desktop');
  if (!enabled) return rm(file, { force: true });
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, linuxAutostartEntry(process.env.APPIMAGE ?? process.execPath));
}

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  let window: BrowserWindow | undefined;
  let tray: TrayPresenter<Electron.NativeImage, Electron.Menu> | undefined;
  let coldkeep: ColdkeepApp | undefined;

  const showWindow = (hash = ''): void => {
    if (!window || window.isDestroyed()) {
      // Kept literal here so that static security lint (Electronegativity) can see every option.
      window = new BrowserWindow({
        width: 1080,
        height: 720,
        show: false,
        title: 'Coldkeep',
        webPreferences: {
          preload: preloadPath,
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          nodeIntegrationInWorker: false,
          nodeIntegrationInSubFrames: false,
          webviewTag: false,
          webSecurity: true,
          allowRunningInsecureContent: false,
          experimentalFeatures: false,
          disableBlinkFeatures: 'Auxclick',
          spellcheck: false,
        },
      });
      lockDownWebContents(window.webContents, isAppPageUrl);
      window.once('ready-to-show', () => window?.show());
      void window.loadURL(hash ? `${appPageUrl}#${hash}` : appPageUrl);
      return;
    }
    if (hash) void window.loadURL(`${appPageUrl}#${hash}`);
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  const refreshTray = async (): Promise<void> => {
    if (!tray || !coldkeep) return;
    const running = new Set(coldkeep.scheduler.runningSourceIds());
    const last = coldkeep.lastRun;
    // The core's state, as the window shows it; without it (a damaged file) the tray falls back to the last result.
    const overview = await coldkeep.statusOverview().catch(() => undefined);
    const statusOf = (id: string) => overview?.sources.find((s) => s.sourceIds.includes(id))?.status;
    const state: TrayState = {
      sources: (await coldkeep.sources()).map((s) => {
        const status = statusOf(s.id);
        return {
          id: s.id,
          name: s.name,
          running: running.has(s.id),
          ...(status ? { status: { state: status.state, headline: status.headline } } : {}),
        };
      }),
      paused: coldkeep.scheduler.isPaused,
      ...(last ? { lastResult: lastResultOf(last) } : {}),
      ...(overview && overview.sources.length ? { overall: overview.overall } : {}),
    };
    tray.show(state);
  };

  /** Failures outside a run (the schedule files, a tray action) reach the user as a notification. */
  const reportError = (err: unknown): void => {
    const message = err instanceof Error ? err.message : String(err);
    const hint = desktopHint(err);
    if (Notification.isSupported()) {
      new Notification({ title: 'Coldkeep', body: hint ? `${message} ${hint}` : message, urgency: 'critical' }).show();
    }
  };

  const quitGuard = new QuitGuard({
    // Scheduled runs and restores from the window, once the app has opened.
    jobs: {
      get isRunning() {
        return coldkeep?.jobs.isRunning ?? false;
      },
      cancelAll: async () => coldkeep?.jobs.cancelAll(),
      whenIdle: async () => coldkeep?.jobs.whenIdle(),
    },
    behaviour: () => coldkeep?.settings.quitDuringJob ?? 'ask',
    ask: async () => {
      const choices: QuitChoice[] = ['cancel', 'wait', 'stay'];
      const { response } = await dialog.showMessageBox({
        type: 'question',
        message: 'A backup or restore is running.',
        detail:
          'Cancelling stops it cleanly: nothing half-written is left that looks like a backup, and a restore says what it wrote.',
        buttons: ['Cancel It and Quit', 'Quit When It Ends', 'Keep Running'],
        defaultId: 1,
        cancelId: 2,
      });
      return choices[response] ?? 'stay';
    },
    quit: () => app.quit(),
  });

  app.on('second-instance', () => showWindow());
  // A tray app keeps running with no window open.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    if (quitGuard.beforeQuit()) event.preventDefault();
  });
  app.on('will-quit', () => void coldkeep?.close());

  const start = async (): Promise<void> => {
    denyAllPermissions(session.defaultSession);
    protocol.handle(APP_SCHEME, (request) => {
      const file = appFileFor(request.url, packageRoot);
      return file ? net.fetch(pathToFileURL(file).href) : new Response('Not found', { status: 404 });
    });
    const dataDir = app.getPath('userData');
    coldkeep = await ColdkeepApp.open({
      dataDir,
      scheduleDir: defaultScheduleDir(),
      appInfo: {
        name: TOOL_NAME,
        version: TOOL_VERSION,
        electronVersion: process.versions.electron ?? '',
        platform: process.platform,
      },
      secrets: {
        store: new SafeStorageSecretStore(safeStorage, join(dataDir, 'secrets.json')),
        problem: () => encryptionProblem(safeStorage),
      },
      pickFolder: async () => {
        const options: Electron.OpenDialogOptions = { properties: ['openDirectory'], title: 'Back up a folder' };
        const result =
          window && !window.isDestroyed()
            ? await dialog.showOpenDialog(window, options)
            : await dialog.showOpenDialog(options);
        return result.canceled ? undefined : result.filePaths[0];
      },
      folderBackups: coreFolderBackups,
      // Templates from <resources>/infra-templates when packaged (the core looks there), with the
      // Lambda bundle in its dist/; the repository's infra-templates/ under `npm start`.
      stacks: stacksFrom(),
      onEvent: (event) => {
        void refreshTray();
        if (event.type === 'error') reportError(Object.assign(new Error(event.error.message), event.error));
        if (event.type === 'run-finished' && Notification.isSupported() && coldkeep) {
          showRunNotification(
            event.run,
            coldkeep.settings.notifications,
            (options) => new Notification(options),
            (run) => showWindow(`history/${run.runId}`),
          );
        }
      },
      onSettings: (settings) => {
        if (!applyStartAtLogin(app, settings.startAtLogin) && process.platform === 'linux') {
          void setLinuxAutostart(settings.startAtLogin);
        }
        void refreshTray();
      },
    });
    const app_ = coldkeep;
    registerIpcHandlers(
      ipcMain,
      app_.handlers(),
      (event) =>
        window !== undefined &&
        !window.isDestroyed() &&
        event.sender === window.webContents &&
        event.senderFrame !== null &&
        isAppPageUrl(event.senderFrame.url.split('#')[0] ?? ''),
    );

    const icon = (state: TrayIconState): Electron.NativeImage => {
      const image = nativeImage.createFromPath(join(assets, state === 'idle' ? 'tray.png' : `tray-${state}.png`));
      if (process.platform === 'darwin') image.setTemplateImage(state === 'idle');
      return image;
    };
    const electronTray = new Tray(icon('idle'));
    electronTray.on('click', () => showWindow());
    tray = new TrayPresenter<Electron.NativeImage, Electron.Menu>(
      electronTray,
      { idle: icon('idle'), running: icon('running'), warning: icon('warning'), error: icon('error') },
      (template) => Menu.buildFromTemplate(template),
      {
        backUpAll: () => void app_.scheduler.runAll().catch(reportError),
        backUpSource: (id) => void app_.scheduler.runNow(id).catch(reportError),
        setPaused: (paused) => void app_.scheduler.setPaused(paused).then(refreshTray, reportError),
        openWindow: () => showWindow(),
        quit: () => app.quit(),
      },
    );
    catchUpOnResume(powerMonitor, () => app_.scheduler.catchUp(), reportError);
    await app_.start();
    await refreshTray();
    if (!process.argv.includes('--hidden')) showWindow();
  };

  void app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      // Nothing can run without settings and schedules: say why, then leave.
      const hint = desktopHint(err);
      dialog.showErrorBox(
        'Coldkeep could not start',
        `${err instanceof Error ? err.message : String(err)}${hint ? `\n\n${hint}` : ''}`,
      );
      app.exit(1);
    });
}

main();
