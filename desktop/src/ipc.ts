/**
 * The contract between the main process, the preload and the renderer: every IPC channel, and
 * the API the preload exposes to the page as `window.coldkeep`.
 *
 * IpcChannel is a `const enum` on purpose: tsc inlines its values, so the sandboxed preload (which
 * can require nothing but 'electron') uses the same names without importing this file at run time.
 */
export const enum IpcChannel {
  GetAppInfo = 'coldkeep:get-app-info',
}

export interface AppInfo {
  name: string;
  version: string;
  electronVersion: string;
  platform: string;
}

/** What the renderer sees as `window.coldkeep`. */
export interface ColdkeepApi {
  getAppInfo(): Promise<AppInfo>;
}

/** The main-process handler behind each channel. */
export interface IpcHandlers {
  [IpcChannel.GetAppInfo](): AppInfo | Promise<AppInfo>;
}
