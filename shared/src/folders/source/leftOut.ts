import { userInfo } from 'node:os';
import type { LeftOut } from '../../base/jobs/jobOutcome';

/** Who the backup runs as, for "cannot be read by user nobody (uid 65534)". */
export function runningUser(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // A uid with no passwd entry (a container): the number says it.
  }
  if (name && uid !== undefined) return `user ${name} (uid ${uid})`;
  if (name) return `user ${name}`;
  return uid !== undefined ? `uid ${uid}` : 'this user';
}

const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  EISDIR: 'is a folder',
  EBUSY: 'busy',
};

/**
 * A path the backup was asked to protect and could not read. Permission problems name the path
 * and the user, and what to change; other errors say to check the disk.
 */
export function unreadable(
  path: string,
  absPath: string,
  type: 'file' | 'folder',
  code: string,
  doing: string,
): LeftOut {
  const words = ERRNO_WORDS[code] ?? 'error';
  const user = runningUser();
  const permission = code === 'EACCES' || code === 'EPERM';
  return {
    path,
    kind: 'unreadable',
    entry: type,
    reason: `${doing}: ${user} ${permission ? 'may not read it' : 'got an error'}: ${words} (${code})`,
    whatToDo: permission
      ? `Let ${user} read ${absPath}${type === 'folder' ? ' and list it (r and x)' : ''} (chmod/chown, or an ACL), ` +
        `or run the backup as a user who can; exclude it (--exclude) if it need not be backed up.`
      : `Check the disk and ${absPath}, then run the backup again.`,
  };
}

/** A path deleted while the backup ran: not in this snapshot, and nothing is lost. */
export function vanished(path: string, type: 'file' | 'folder'): LeftOut {
  return {
    path,
    kind: 'vanished',
    entry: type,
    reason: 'deleted while the backup ran',
    whatToDo: 'Nothing to do: it no longer exists.',
  };
}
