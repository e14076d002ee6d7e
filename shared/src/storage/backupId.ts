import { randomBytes } from 'node:crypto';

/**
 * A backup id sorts by time, to the millisecond, and stays unique when two backups start at
 * once: 20261122T134501Z-1f43f9c (the milliseconds as three hex digits, then random bytes), so
 * "latest" and keep-last retention pick the newest even within one second.
 */
export function newBackupId(now: Date = new Date(), random: () => Buffer = () => randomBytes(2)): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  const millis = now.getUTCMilliseconds().toString(16).padStart(3, '0');
  return `${stamp}-${millis}${random().toString('hex')}`;
}

export function isBackupId(value: string): boolean {
  return /^\d{8}T\d{6}Z-[0-9a-f]{4,}$/.test(value);
}

/** The time a backup id was made, or undefined for ids not made by Coldkeep. */
export function backupIdTime(backupId: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(backupId);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}
