/**
 * Hints name the settings a user can change without naming how a front end spells them: the
 * CLI has flags (`--region`), VS Code has settings (`coldkeep.region`), the desktop app has
 * fields ("Region"). A hint writes `{setting:region}` or `{setting:region=eu-west-1}`, and each
 * front end renders it in its own words (see `renderHint`).
 */

/** A setting's name: camelCase, as in `{setting:lockUntil}`; the CLI's flag is its kebab-case. */
export type SettingName = string;

/** How one front end words a setting (with the value to give it, if the hint names one). */
export type SettingWords = (setting: SettingName, value: string | undefined) => string;

const TOKEN = /\{setting:([A-Za-z][A-Za-z0-9]*)(?:=([^}]*))?\}/g;

/** `{setting:region}` in a hint; `value` when the hint says what to set it to. */
export function settingToken(setting: SettingName, value?: string): string {
  return `{setting:${setting}${value === undefined ? '' : `=${value}`}}`;
}

/** The settings a hint names, in order, each once. */
export function settingsIn(hint: string | undefined): SettingName[] {
  if (!hint) return [];
  return [...new Set([...hint.matchAll(TOKEN)].map((m) => m[1]!))];
}

/** The hint in one front end's words. */
export function renderHint(hint: string, words: SettingWords): string;
export function renderHint(hint: string | undefined, words: SettingWords): string | undefined;
export function renderHint(hint: string | undefined, words: SettingWords): string | undefined {
  return hint?.replace(TOKEN, (_, setting: string, value: string | undefined) => words(setting, value));
}

/** "lockUntil" → "lock until": a setting's name in plain words. */
export function settingLabel(setting: SettingName): string {
  return setting.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/**
 * Words for places that are no front end (emails, run history, logs): "the region setting".
 * Front ends fall back to them for settings they do not have.
 */
export const neutralSettingWords: SettingWords = (setting, value) =>
  value === undefined ? `the ${settingLabel(setting)} setting` : `${value} in the ${settingLabel(setting)} setting`;
