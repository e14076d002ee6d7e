import { bytesText, countText, neutralSettingWords, renderHint, type SettingWords } from '@coldkeep/shared';

export { bytesText, countText };

/** "2026-11-23 12:52" in UTC: backups are named in UTC, so the tree says the same. */
export function dateText(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The settings of contributes.configuration a core hint can name; the rest keep their plain words. */
const VSCODE_SETTING: Record<string, string> = {
  profile: 'coldkeep.profile',
  region: 'coldkeep.region',
  bucket: 'coldkeep.bucket',
  prefix: 'coldkeep.prefix',
  endpoint: 'coldkeep.endpoint',
  segments: 'coldkeep.segments',
  engine: 'coldkeep.engine',
  sse: 'coldkeep.sse',
  kmsKey: 'coldkeep.kmsKeyId',
  lifecycleTag: 'coldkeep.lifecycleTag',
  notifyTo: 'coldkeep.notifyTo',
  notifyFrom: 'coldkeep.notifyFrom',
};

/** The VS Code setting id of a core setting, if the extension has it ("region" → "coldkeep.region"). */
export function vscodeSettingId(setting: string): string | undefined {
  return VSCODE_SETTING[setting];
}

/** VS Code's words for a setting a hint names: "the setting coldkeep.region". */
export const vscodeSettingWords: SettingWords = (setting, value) => {
  const name = VSCODE_SETTING[setting];
  if (!name) return neutralSettingWords(setting, value);
  return value === undefined ? `the setting ${name}` : `${value} in the setting ${name}`;
};

/** A hint (with `{setting:…}` tokens) as VS Code shows it. */
export function vscodeHint(hint: string | undefined): string | undefined {
  return renderHint(hint, vscodeSettingWords);
}
