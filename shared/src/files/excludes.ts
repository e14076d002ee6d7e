import ignore, { type Ignore } from 'ignore';
import { ColdkeepError } from '../errors';

/** Operating-system litter nobody wants back: always left out unless `defaultExcludes: false`. */
export const DEFAULT_EXCLUDES: readonly string[] = [
  '.DS_Store',
  '._*',
  '.Spotlight-V100/',
  '.Trashes/',
  '.fseventsd/',
  '.Trash-*/',
  'Thumbs.db',
  'ehthumbs.db',
  'desktop.ini',
  '$RECYCLE.BIN/',
  'System Volume Information/',
];

export interface ExcludeRules {
  /** Patterns in gitignore syntax, relative to the folder backed up. */
  patterns: string[];
  matcher: Ignore;
}

export function excludeRules(patterns: string[] = [], useDefaults = true): ExcludeRules {
  const all = [...(useDefaults ? DEFAULT_EXCLUDES : []), ...patterns.map((p) => p.trim()).filter(Boolean)];
  const matcher = ignore();
  for (const pattern of all) {
    try {
      matcher.add(pattern);
    } catch (err) {
      throw new ColdkeepError('InvalidInput', `The exclude pattern "${pattern}" is not valid gitignore syntax.`, {
        hint: 'Write patterns as in .gitignore, e.g. "*.tmp", "build/", "!keep.log".',
        cause: err,
      });
    }
  }
  return { patterns: all, matcher };
}

/** Whether a relative path is excluded; directories are matched with a trailing "/". */
export function isExcluded(rules: ExcludeRules, relPath: string, isDir: boolean): boolean {
  return rules.matcher.ignores(isDir ? `${relPath}/` : relPath);
}
