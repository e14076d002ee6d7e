// Pure (no Node): the desktop page bundles it through @coldkeep/shared/browser.

/** A span in words, rounded down: "5 minutes", "3 hours", "2 days". */
export function ageText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes < 60) return plural(Math.max(minutes, 0), 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, 'hour');
  return plural(Math.floor(hours / 24), 'day');
}
