import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { IpcChannel, type IpcHandlers } from '../ipc';

/** The part of `ipcMain` this module uses, so tests can pass a fake. */
export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;

const channels: readonly IpcChannel[] = [IpcChannel.GetAppInfo];

/**
 * Registers a handler for every channel. Calls from a sender that `isTrusted` rejects (a window or
 * frame this app did not create, or one that navigated away) are refused, not answered.
 * Returns a function that removes the handlers again.
 */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  handlers: IpcHandlers,
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
): () => void {
  for (const channel of channels) {
    ipcMain.handle(channel, (event) => {
      if (!isTrusted(event)) throw new Error(`IPC call on ${channel} from an untrusted sender was refused`);
      return handlers[channel]();
    });
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
