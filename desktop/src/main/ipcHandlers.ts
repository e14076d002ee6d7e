import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { ColdkeepError, isCancelled } from '@coldkeep/shared';
import { ALL_CHANNELS, type IpcChannel, type IpcError, type IpcInput, type IpcOutput, type IpcResult } from '../ipc';
import { desktopHint } from './hintWords';
import { ipcInputs } from './ipcInputs';

/** The part of `ipcMain` this module uses, so tests can pass a fake. */
export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;

/** The main-process handler behind each channel, given an input already validated. */
export type IpcHandlers = {
  [C in IpcChannel]: (input: IpcInput<C>) => IpcOutput<C> | Promise<IpcOutput<C>>;
};

/**
 * Checks one call and runs its handler: the input against the channel's schema, then the handler;
 * the answer is an `IpcResult` envelope, so the page gets the error's code and hint. Used by the
 * Electron registration below and by the renderer tests' harness alike.
 */
export async function dispatch(handlers: IpcHandlers, channel: string, input: unknown): Promise<IpcResult<unknown>> {
  if (!(ALL_CHANNELS as readonly string[]).includes(channel)) {
    return { ok: false, error: { code: 'InvalidInput', message: `Unknown channel ${channel}.` } };
  }
  const known = channel as IpcChannel;
  const parsed = ipcInputs[known].safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: {
        code: 'InvalidInput',
        message: `Invalid input${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'rejected'}.`,
      },
    };
  }
  try {
    const handler = handlers[known] as (input: unknown) => unknown;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: ipcErrorOf(err) };
  }
}

/** What the page may see of an error: never a stack, a cause or an SDK's raw metadata. */
export function ipcErrorOf(err: unknown): IpcError {
  if (err instanceof ColdkeepError)
    return { code: err.code, message: err.message, ...(err.hint ? { hint: desktopHint(err)! } : {}) };
  if (isCancelled(err)) return { code: 'Cancelled', message: 'Cancelled.' };
  return { code: 'Unexpected', message: err instanceof Error ? err.message : String(err) };
}

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
  for (const channel of ALL_CHANNELS) {
    ipcMain.handle(channel, (event, input: unknown) => {
      if (!isTrusted(event)) throw new Error(`IPC call on ${channel} from an untrusted sender was refused`);
      return dispatch(handlers, channel, input);
    });
  }
  return () => {
    for (const channel of ALL_CHANNELS) ipcMain.removeHandler(channel);
  };
}
