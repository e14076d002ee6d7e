import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { ColdkeepError } from '../../base/errors/ColdkeepError';

/**
 * The folder a restore writes into: where each snapshot path lands, a guard that no write is
 * carried outside it by a symlink, and the names of the temp files written before a rename.
 * One per restore run: it holds the run's own temp-name counter (no state is shared between runs).
 */
export class RestoreTarget {
  /** Parent folders already checked (or being checked), so each one is realpath-ed once. */
  private readonly checkedDirs = new Map<string, Promise<void>>();
  // A random stem per run and a counter: unique names without a random draw per file.
  private readonly tempStem = `.coldkeep-${randomBytes(4).toString('hex')}`;
  private tempCount = 0;

  private constructor(
    /** The target as given, resolved. */
    readonly dir: string,
    private readonly realDir: string,
  ) {}

  /** Creates the folder when missing. */
  static async open(target: string): Promise<RestoreTarget> {
    const dir = resolve(target);
    await mkdir(dir, { recursive: true });
    return new RestoreTarget(dir, await realpath(dir));
  }

  /** Where a snapshot path (always with `/`) is written. */
  destination(path: string): string {
    return join(this.dir, ...path.split('/'));
  }

  /** Creates the folder that holds `path`, and fails when it leads outside the target (old or restored symlink). */
  checkParent(path: string): Promise<void> {
    const parent = dirname(path);
    let check = this.checkedDirs.get(parent);
    if (!check) {
      check = (async () => {
        await mkdir(parent, { recursive: true });
        const real = await realpath(parent);
        if (!isInside(this.realDir, real)) {
          throw new ColdkeepError('RestoreFailed', `${parent} leads outside ${this.dir} (through a symlink).`, {
            hint: 'Restore into an empty folder.',
          });
        }
      })();
      this.checkedDirs.set(parent, check);
    }
    return check;
  }

  /** A temp file beside `finalPath`, renamed to it once written and checked. */
  tempPathFor(finalPath: string): string {
    return join(dirname(finalPath), `${this.tempStem}-${(this.tempCount++).toString(36)}.part`);
  }
}

// Synchronous: a restore asks this of every file (see smallFileIo.ts for why).
export function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
