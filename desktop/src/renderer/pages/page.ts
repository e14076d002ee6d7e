import type { ColdkeepApi } from '../../ipc';

/** A page draws itself into `root`; it may return a function that stops its timers when left. */
export type Page = (root: HTMLElement, api: ColdkeepApi, args: string[]) => Promise<(() => void) | void>;
