import { bytesText, countText } from '@coldkeep/shared';

export { bytesText, countText };

/** "2026-11-23 12:52" in UTC: backups are named in UTC, so the tree says the same. */
export function dateText(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
