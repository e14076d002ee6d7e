import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Which process holds something (a lock, a claimed run): enough to tell later whether it is still alive. */
export interface ProcessOwner {
  host: string;
  pid: number;
  /**
   * When the process started, as the kernel counts it (Linux: clock ticks since boot, field 22 of
   * /proc/<pid>/stat). A pid reused by a later process has another start time. Absent off Linux.
   */
  processStart?: string;
}

/**
 * What can be said about an owner from here: `alive` (this host, the process is running), `gone`
 * (this host, no such process, or the pid now belongs to a process started later), `unknown`
 * (another host: nothing can be checked from here).
 */
export type OwnerState = 'alive' | 'gone' | 'unknown';

/** The start time of a process on this host, when the OS tells it cheaply (Linux /proc); else undefined. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall: starttime
  } catch {
    return undefined;
  }
}

export function thisProcess(): ProcessOwner {
  const processStart = processStartOf(process.pid);
  return { host: hostname(), pid: process.pid, ...(processStart ? { processStart } : {}) };
}

export function ownerState(owner: ProcessOwner): OwnerState {
  if (owner.host !== hostname()) return 'unknown';
  if (owner.pid === process.pid) return owner.processStart === thisProcess().processStart ? 'alive' : 'gone';
  try {
    // Signal 0 checks that the process exists without touching it.
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user, so it is alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
  }
  if (owner.processStart) {
    const now = processStartOf(owner.pid);
    if (now !== undefined && now !== owner.processStart) return 'gone'; // the pid was reused
  }
  return 'alive';
}

/** "pid 4242 on build-01". */
export function ownerText(owner: ProcessOwner): string {
  return `pid ${owner.pid} on ${owner.host}`;
}
