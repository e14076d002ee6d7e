// The sandboxed preload can require only 'electron': it is bundled (esbuild) into one file with
// the contract's makeApi. The page gets nothing but this narrow API; it never sees ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron';
import { makeApi } from '../ipc';

contextBridge.exposeInMainWorld(
  'coldkeep',
  makeApi((channel, input) => ipcRenderer.invoke(channel, input)),
);
