import type { ColdkeepApi } from '../ipc';

declare global {
  interface Window {
    /** Exposed by the preload through contextBridge. */
    coldkeep: ColdkeepApi;
  }
}
