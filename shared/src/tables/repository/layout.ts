/**
 * Where things live in the bucket (design.md, "Backup format in S3"):
 *   <prefix>/tables/<account>/<region>/<table>/<backupId>/manifest.json
 *   <prefix>/tables/<account>/<region>/<table>/<backupId>/data/<segment>-<part>.json.gz
 */
export interface BackupLocation {
  bucket: string;
  /** Key prefix under the bucket, without leading or trailing slash; may be empty. */
  prefix: string;
  account: string;
  region: string;
  table: string;
  backupId: string;
}

export const MANIFEST_NAME = 'manifest.json';

function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

export function tablesRoot(prefix: string): string {
  return join(prefix, 'tables') + '/';
}

export function backupDir(loc: BackupLocation): string {
  return join(loc.prefix, 'tables', loc.account, loc.region, loc.table, loc.backupId) + '/';
}

export function manifestKey(loc: BackupLocation): string {
  return backupDir(loc) + MANIFEST_NAME;
}

export function dataFileKey(loc: BackupLocation, segment: number, part: number): string {
  const pad = (n: number): string => String(n).padStart(4, '0');
  return `${backupDir(loc)}data/${pad(segment)}-${pad(part)}.json.gz`;
}

/** Reads a manifest key back into its location; undefined for keys outside the layout. */
export function parseManifestKey(bucket: string, key: string): BackupLocation | undefined {
  const match = /^(?:(.*)\/)?tables\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)\/manifest\.json$/.exec(key);
  if (!match) return undefined;
  const [, prefix = '', account, region, table, backupId] = match;
  return { bucket, prefix, account: account!, region: region!, table: table!, backupId: backupId! };
}
