import { join, posix } from 'node:path';

/**
 * The window's page is served from a scheme of the app's own instead of file://, as Electron's
 * security checklist recommends: file:// gives a page the right to read every file the user can,
 * and every file:// URL shares one origin. This scheme answers only the files the page needs.
 */
export const APP_SCHEME = 'coldkeep-app';
const APP_HOST = 'app';

/** For `protocol.registerSchemesAsPrivileged`, before the app is ready. */
export const appSchemePrivileges = {
  scheme: APP_SCHEME,
  // standard: relative URLs and 'self' in the CSP resolve as on a web origin; secure: a secure
  // context like https. Nothing more: no fetch, no service workers, no CORS bypass.
  privileges: { standard: true, secure: true },
} as const;

/** The URL paths of the page, its stylesheet and its script, relative to the desktop package root. */
const APP_FILES = ['src/renderer/index.html', 'src/renderer/index.css', 'dist/renderer/renderer.js'] as const;

export const appPageUrl = `${APP_SCHEME}://${APP_HOST}/${APP_FILES[0]}`;

/** Is this the app's page (with or without a `#route`)? */
export function isAppPageUrl(url: string): boolean {
  return url === appPageUrl || url.startsWith(`${appPageUrl}#`);
}

/**
 * The file a request of the app's scheme maps to, or undefined (answered 404): only the listed
 * files, only on the app's host, never a path that leaves the package through `..` or encoding.
 */
export function appFileFor(url: string, packageRoot: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  let path: string;
  try {
    path = posix.normalize(decodeURIComponent(parsed.pathname)).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
  return (APP_FILES as readonly string[]).includes(path) ? join(packageRoot, ...path.split('/')) : undefined;
}
