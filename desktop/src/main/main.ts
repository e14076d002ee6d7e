// Wiring only: hands the real Electron objects to the modules beside this file.
import { app, BrowserWindow, ipcMain, Menu, nativeImage, session, Tray } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TOOL_NAME, TOOL_VERSION } from '@coldkeep/shared';
import { IpcChannel } from '../ipc';
import { registerIpcHandlers } from './ipcHandlers';
import { denyAllPermissions, lockDownWebContents } from './security';
import { buildTrayMenuTemplate, trayTooltip, type TrayState } from './trayMenu';

const pageUrl = pathToFileURL(join(__dirname, '../../src/renderer/index.html')).href;
const preloadPath = join(__dirname, '../preload/preload.js');
const trayIconPath = join(__dirname, '../../assets/tray.png');

function isAppUrl(url: string): boolean {
  return url === pageUrl || url.startsWith(`${pageUrl}#`);
}

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  let window: BrowserWindow | undefined;
  let tray: Tray | undefined;
  const state: TrayState = { sourceCount: 0, running: false, paused: false };

  const showWindow = (): void => {
    if (!window || window.isDestroyed()) {
      // Kept literal here so that static security lint (Electronegativity) can see every option.
      window = new BrowserWindow({
        width: 960,
        height: 640,
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
      lockDownWebContents(window.webContents, isAppUrl);
      window.once('ready-to-show', () => window?.show());
      void window.loadURL(pageUrl);
      return;
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  const updateTray = (): void => {
    if (!tray) return;
    tray.setToolTip(trayTooltip(state));
    tray.setContextMenu(
      Menu.buildFromTemplate(
        buildTrayMenuTemplate(state, {
          // Sources and schedules arrive in a later issue; until then the item is disabled.
          backUpNow: () => undefined,
          setPaused: (paused) => {
            state.paused = paused;
            updateTray();
          },
          openWindow: showWindow,
          quit: () => app.quit(),
        }),
      ),
    );
  };

  app.on('second-instance', showWindow);
  // A tray app keeps running with no window open.
  app.on('window-all-closed', () => undefined);

  void app.whenReady().then(() => {
    denyAllPermissions(session.defaultSession);
    registerIpcHandlers(
      ipcMain,
      {
        [IpcChannel.GetAppInfo]: () => ({
          name: TOOL_NAME,
          version: TOOL_VERSION,
          electronVersion: process.versions.electron,
          platform: process.platform,
        }),
      },
      (event) =>
        window !== undefined &&
        !window.isDestroyed() &&
        event.sender === window.webContents &&
        event.senderFrame !== null &&
        isAppUrl(event.senderFrame.url),
    );

    const icon = nativeImage.createFromPath(trayIconPath);
    if (process.platform === 'darwin') icon.setTemplateImage(true);
    tray = new Tray(icon);
    tray.on('click', showWindow);
    updateTray();
    showWindow();
  });
}

main();
