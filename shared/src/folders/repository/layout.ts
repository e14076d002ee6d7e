import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { normalizePrefix } from '../../storage/bucketKeys';
import { ColdkeepError } from '../../base/errors/ColdkeepError';

/**
 * Where a folder source lives in the bucket (design.md, "Backup format in S3"):
 *   <prefix>/files/<sourceId>/snapshots/<snapshotId>.json.gz
 *   <prefix>/files/<sourceId>/blobs/<sha256[0:2]>/<sha256>   (files over the pack limit, one object each)
 *   <prefix>/files/<sourceId>/packs/<packId>                 (small files' blobs, concatenated)
 *   <prefix>/files/<sourceId>/index/<packId>.json.gz          (which blobs a pack holds, and where)
 *   <prefix>/files/<sourceId>/trees/<packId>                 (folder trees of format 3 snapshots, concatenated)
 *   <prefix>/files/<sourceId>/locks/<kind>-<id>.json      (backup and prune locks)
 *   <prefix>/files/<sourceId>/damaged/<kind>.<id>.<etag>.json  (objects a verify or restore found damaged)
 */
export interface SourceLocation {
  bucket: string;
  /** Normalised: no leading or trailing slash; may be empty. */
  prefix: string;
  source: string;
}

export function sourceLocation(bucket: string, prefix: string | undefined, source: string): SourceLocation {
  checkSourceName(source);
  return { bucket, prefix: normalizePrefix(prefix), source };
}

export function filesRoot(prefix: string): string {
  return prefix ? `${prefix}/files/` : 'files/';
}

export function sourceDir(loc: SourceLocation): string {
  return `${filesRoot(loc.prefix)}${loc.source}/`;
}

export function snapshotsDir(loc: SourceLocation): string {
  return `${sourceDir(loc)}snapshots/`;
}

export function snapshotKey(loc: SourceLocation, snapshotId: string): string {
  return `${snapshotsDir(loc)}${snapshotId}.json.gz`;
}

export function blobsDir(loc: SourceLocation): string {
  return `${sourceDir(loc)}blobs/`;
}

export function blobKey(loc: SourceLocation, sha256: string): string {
  return `${blobsDir(loc)}${sha256.slice(0, 2)}/${sha256}`;
}

export function packsDir(loc: SourceLocation): string {
  return `${sourceDir(loc)}packs/`;
}

export function packKey(loc: SourceLocation, packId: string): string {
  return `${packsDir(loc)}${packId}`;
}

export function packIndexDir(loc: SourceLocation): string {
  return `${sourceDir(loc)}index/`;
}

export function packIndexKey(loc: SourceLocation, packId: string): string {
  return `${packIndexDir(loc)}${packId}.json.gz`;
}

export function treesDir(loc: SourceLocation): string {
  return `${sourceDir(loc)}trees/`;
}

/** A pack of folder trees (format 3 snapshots): Standard storage, never lifecycle-tagged. */
export function treePackKey(loc: SourceLocation, packId: string): string {
  return `${treesDir(loc)}${packId}`;
}

/** The pack id a tree pack key names. */
export function treePackIdOf(key: string): string | undefined {
  return /\/trees\/([0-9A-Za-z-]+)$/.exec(key)?.[1];
}

/** The pack id a pack key names. */
export function packIdOf(key: string): string | undefined {
  return /\/packs\/([0-9A-Za-z-]+)$/.exec(key)?.[1];
}

/** The pack id a pack index key names. */
export function packIdOfIndex(key: string): string | undefined {
  return /\/index\/([0-9A-Za-z-]+)\.json\.gz$/.exec(key)?.[1];
}

export function locksDir(loc: SourceLocation): string {
  return `${sourceDir(loc)}locks/`;
}

export function damagedDir(loc: SourceLocation): string {
  return `${sourceDir(loc)}damaged/`;
}

/** The SHA-256 a blob key names, or undefined for keys that are not blobs. */
export function blobHashOf(key: string): string | undefined {
  return /\/blobs\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(key)?.[1];
}

/** The snapshot id a snapshot key names. */
export function snapshotIdOf(key: string): string | undefined {
  return /\/snapshots\/([^/]+)\.json\.gz$/.exec(key)?.[1];
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkSourceName(source: string): void {
  if (!SOURCE_NAME.test(source)) {
    throw new ColdkeepError('InvalidInput', `"${source}" is not a usable source name.`, {
      hint: 'Use letters, digits, ".", "_" and "-" (up to 128, starting with a letter or digit), e.g. {setting:source=documents}.',
    });
  }
}

/**
 * The default source name of a folder: its name, plus a short hash of the host and absolute
 * path, so two folders called "src" on one machine never share a parent snapshot (a parent is
 * trusted on size and mtime alone).
 */
export function defaultSourceName(dir: string, host: string = hostname()): string {
  const abs = resolve(dir);
  const name = (basename(abs) || 'root').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '') || 'folder';
  const tag = createHash('sha256').update(`${host}\0${abs}`).digest('hex').slice(0, 8);
  return `${name.slice(0, 100)}-${tag}`;
}

export function s3SourceUri(loc: SourceLocation): string {
  return `s3://${loc.bucket}/${sourceDir(loc)}`;
}
