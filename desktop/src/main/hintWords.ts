import { type ColdkeepError, neutralSettingWords, renderHint, type SettingWords } from '@coldkeep/shared';

/** The fields of the Settings page (renderer/pages/settings.ts) a core hint can name, by label. */
const DESKTOP_FIELD: Record<string, string> = {
  profile: 'AWS profile',
  region: 'Region',
  bucket: 'Bucket',
  prefix: 'Key prefix',
};

/** The desktop app's words for a setting a hint names: "the Region field in Settings". */
export const desktopSettingWords: SettingWords = (setting, value) => {
  const label = DESKTOP_FIELD[setting];
  if (!label) return neutralSettingWords(setting, value);
  return value === undefined ? `the ${label} field in Settings` : `${value} in the ${label} field in Settings`;
};

/** An error's hint as the desktop app shows it; works on any thrown value. */
export function desktopHint(err: unknown): string | undefined {
  const e = err as Partial<Pick<ColdkeepError, 'hint' | 'hintTemplate'>> | undefined;
  return renderHint(e?.hintTemplate ?? e?.hint, desktopSettingWords);
}
