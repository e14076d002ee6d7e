import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Coldkeep's folder for user settings: %APPDATA%\coldkeep on Windows, else
 * $XDG_CONFIG_HOME/coldkeep, else ~/.config/coldkeep.
 */
export function coldkeepConfigDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'coldkeep');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'coldkeep');
}
