import { join } from 'node:path';
import { JsonFileStore } from '@coldkeep/shared';
import { z } from 'zod';
import type { AppSettings } from '../ipc';

const appSettingsSchema = z.object({
  profile: z.string().optional(),
  region: z.string().optional(),
  bucket: z.string().optional(),
  prefix: z.string().optional(),
  demoMode: z.boolean().default(false),
  startAtLogin: z.boolean().default(false),
  notifications: z.enum(['all', 'failures', 'none']).default('all'),
  quitDuringJob: z.enum(['ask', 'cancel', 'wait']).default('ask'),
}) satisfies z.ZodType<AppSettings, unknown>;

export const DEFAULT_SETTINGS: AppSettings = appSettingsSchema.parse({});

/** The app's settings, `settings.json` in the app's data folder. */
export function appSettingsStore(dir: string): JsonFileStore<AppSettings> {
  return new JsonFileStore(join(dir, 'settings.json'), appSettingsSchema as z.ZodType<AppSettings>, () => ({
    ...DEFAULT_SETTINGS,
  }));
}

/** Empty strings from a form mean "not set". */
export function withoutBlanks(settings: AppSettings): AppSettings {
  const cleaned: AppSettings = { ...settings };
  for (const key of ['profile', 'region', 'bucket', 'prefix'] as const) {
    if (cleaned[key] === '' || cleaned[key] === undefined) delete cleaned[key];
  }
  return cleaned;
}
