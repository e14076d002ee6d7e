// A sandboxed preload can require only 'electron' (and a few Node built-ins): this file must import
// nothing else at run time. Types are erased and IpcChannel is a const enum that tsc inlines, so
// '../ipc' leaves no require() behind.
import { contextBridge, ipcRenderer } from 'electron';
import { IpcChannel, type AppInfo, type ColdkeepApi } from '../ipc';

export type Invoke = (channel: IpcChannel, ...args: unknown[]) => Promise<unknown>;

/** The page's API over any `invoke`: ipcRenderer's here, a test harness's in tests. */
export function makeApi(invoke: Invoke): ColdkeepApi {
  return {
    getAppInfo: () => invoke(IpcChannel.GetAppInfo) as Promise<AppInfo>,
  };
}

contextBridge.exposeInMainWorld(
  'coldkeep',
  makeApi((channel, ...args) => ipcRenderer.invoke(channel, ...args)),
);
