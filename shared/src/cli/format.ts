/** Human-readable figures for the CLI. */
import { renderHint, type SettingWords } from '../base/errors/settingHint';

// Bytes and counts read the same in a terminal and in an email.
export { bytesText as formatBytes, countText as formatCount } from '../app/notify/figures';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Rows of cells as aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Settings whose flag is not the kebab-case of their name. */
const FLAG_OF: Record<string, string> = { endpoint: '--endpoint-url', notifyFrom: '--from', notifyTo: '--notify' };

/** The CLI's words for a setting a hint names: its flag, `--region` or `--region eu-west-1`. */
export const cliSettingWords: SettingWords = (setting, value) => {
  const flag = FLAG_OF[setting] ?? `--${setting.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
  return value === undefined ? flag : `${flag} ${value}`;
};

/** A hint (with `{setting:…}` tokens) as the CLI prints it. */
export function cliHint(hint: string | undefined): string | undefined {
  return renderHint(hint, cliSettingWords);
}

/** Red on a terminal that shows colour (not when piped, nor with NO_COLOR set): failures only. */
export function red(text: string, stream: { isTTY?: boolean } = process.stdout): string {
  return stream.isTTY && !process.env.NO_COLOR ? `\u001b[31m${text}\u001b[39m` : text;
}
