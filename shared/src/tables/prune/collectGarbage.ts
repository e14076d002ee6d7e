import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { normalizePrefix, s3Uri } from '../../storage/bucketKeys';
import { MANIFEST_NAME, tablesRoot } from '../repository/layout';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { throwIfAborted } from '../../base/jobs/job';
import { backupFolderOf } from '../repository/listBackups';

export interface CollectGarbageInput {
  bucket: string;
  prefix?: string;
  /** Only what backups of this table left. */
  table?: string;
  /**
   * Only leftovers whose newest object (or upload) is older than this: a backup still running
   * keeps writing, so its folder stays younger. Default 24 hours.
   */
  olderThanSeconds?: number;
  /** Find and report only; remove nothing. */
  dryRun: boolean;
  /** For tests: the clock. */
  now?: Date;
}

/** A table backup folder without a manifest: what a failed or killed run left. */
export interface OrphanFolder {
  uri: string;
  table: string;
  backupId: string;
  objects: number;
  bytes: number;
  /** Its newest object's or open upload's time (ISO 8601). */
  lastActivity: string;
}

export interface OpenUpload {
  key: string;
  uploadId: string;
  initiated: string;
}

export interface CollectGarbageReport {
  bucket: string;
  prefix: string;
  dryRun: boolean;
  olderThanSeconds: number;
  /** Leftovers older than this (ISO 8601) were taken. */
  cutoff: string;
  /** Folders without a manifest, older than the cutoff: removed (or, in a dry run, to be removed). */
  orphans: OrphanFolder[];
  /** Folders without a manifest that were active after the cutoff: left alone (a backup may be running). */
  tooYoung: OrphanFolder[];
  uploads: {
    /** false when the endpoint does not list multipart uploads (s3rver, some S3-compatible stores). */
    listed: boolean;
    note?: string;
    /** Open multipart uploads under the prefix started before the cutoff: aborted (or to be). */
    stale: OpenUpload[];
    /** Open uploads started after the cutoff: left alone. */
    tooYoung: number;
  };
  removedObjects: number;
  removedBytes: number;
  abortedUploads: number;
}

const DEFAULT_OLDER_THAN_SECONDS = 24 * 3600;

interface FolderState {
  dir: string;
  hasManifest: boolean;
  objects: _Object[];
  lastActivity: number;
}

/**
 * Finds what failed or killed table backups left behind under a prefix, and removes it: data
 * objects in folders that have no manifest, and open multipart uploads. Only leftovers older
 * than the cutoff are taken, and a folder with any recent object or upload is left whole, so
 * that a backup in progress is never touched. Backups with a manifest are never touched.
 */
export async function collectGarbage(
  s3: S3Client,
  input: CollectGarbageInput,
  { signal }: { signal?: AbortSignal } = {},
): Promise<CollectGarbageReport> {
  const prefix = normalizePrefix(input.prefix);
  const root = tablesRoot(prefix);
  const olderThanSeconds = input.olderThanSeconds ?? DEFAULT_OLDER_THAN_SECONDS;
  const now = input.now ?? new Date();
  const cutoff = now.getTime() - olderThanSeconds * 1000;
  const wanted = (dir: string): boolean => !input.table || dir.split('/').at(-3) === input.table;

  const folders = new Map<string, FolderState>();
  const folderFor = (dir: string): FolderState => {
    const found = folders.get(dir) ?? { dir, hasManifest: false, objects: [], lastActivity: 0 };
    folders.set(dir, found);
    return found;
  };
  try {
    let token: string | undefined;
    do {
      throwIfAborted(signal);
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: input.bucket, Prefix: root, ContinuationToken: token }),
        { abortSignal: signal },
      );
      for (const object of page.Contents ?? []) {
        const dir = backupFolderOf(object.Key ?? '');
        if (!dir || !wanted(dir)) continue;
        const folder = folderFor(dir);
        if (object.Key === dir + MANIFEST_NAME) folder.hasManifest = true;
        else folder.objects.push(object);
        folder.lastActivity = Math.max(folder.lastActivity, object.LastModified?.getTime() ?? now.getTime());
      }
      token = page.NextContinuationToken;
    } while (token);
  } catch (err) {
    throw fromAwsError(err, { doing: `list the table backups in ${s3Uri(input.bucket, root)}`, bucket: input.bucket });
  }

  const uploads = await listOpenUploads(s3, input.bucket, root, signal);
  const staleUploads: OpenUpload[] = [];
  let youngUploads = 0;
  for (const upload of uploads.found) {
    const dir = backupFolderOf(upload.key);
    if (dir && !wanted(dir)) continue;
    if (!dir && input.table) continue;
    const initiated = new Date(upload.initiated).getTime();
    if (dir) {
      const folder = folderFor(dir);
      folder.lastActivity = Math.max(folder.lastActivity, initiated);
    }
    if (initiated <= cutoff) staleUploads.push(upload);
    else youngUploads++;
  }

  const orphans: OrphanFolder[] = [];
  const tooYoung: OrphanFolder[] = [];
  const toDelete: _Object[] = [];
  for (const folder of [...folders.values()].sort((a, b) => a.dir.localeCompare(b.dir))) {
    if (folder.hasManifest || folder.objects.length === 0) continue;
    const parts = folder.dir.split('/');
    const summary: OrphanFolder = {
      uri: s3Uri(input.bucket, folder.dir),
      table: parts.at(-3) ?? '?',
      backupId: parts.at(-2) ?? '?',
      objects: folder.objects.length,
      bytes: folder.objects.reduce((n, o) => n + (o.Size ?? 0), 0),
      lastActivity: new Date(folder.lastActivity).toISOString(),
    };
    if (folder.lastActivity <= cutoff) {
      orphans.push(summary);
      toDelete.push(...folder.objects);
    } else tooYoung.push(summary);
  }

  const report: CollectGarbageReport = {
    bucket: input.bucket,
    prefix,
    dryRun: input.dryRun,
    olderThanSeconds,
    cutoff: new Date(cutoff).toISOString(),
    orphans,
    tooYoung,
    uploads: {
      listed: uploads.listed,
      ...(uploads.note ? { note: uploads.note } : {}),
      stale: staleUploads,
      tooYoung: youngUploads,
    },
    removedObjects: 0,
    removedBytes: 0,
    abortedUploads: 0,
  };
  if (input.dryRun) return report;

  // Uploads first: an upload completed meanwhile would only add an object to an orphan folder.
  for (const upload of staleUploads) {
    throwIfAborted(signal);
    try {
      await s3.send(
        new AbortMultipartUploadCommand({ Bucket: input.bucket, Key: upload.key, UploadId: upload.uploadId }),
        { abortSignal: signal },
      );
      report.abortedUploads++;
    } catch (err) {
      // Completed or aborted since the listing: nothing left to remove.
      if ((err as { name?: string }).name === 'NoSuchUpload') continue;
      if (notImplemented(err)) {
        report.uploads.note = `This S3 endpoint cannot abort multipart uploads (${(err as Error).name}); ${staleUploads.length - report.abortedUploads} stay open.`;
        break;
      }
      throw fromAwsError(err, { doing: `abort the multipart upload of ${upload.key}`, bucket: input.bucket });
    }
  }
  for (let i = 0; i < toDelete.length; i += 1000) {
    throwIfAborted(signal);
    const batch = toDelete.slice(i, i + 1000);
    const result = await s3
      .send(
        new DeleteObjectsCommand({
          Bucket: input.bucket,
          Delete: { Objects: batch.map((o) => ({ Key: o.Key! })), Quiet: true },
        }),
        { abortSignal: signal },
      )
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: 'delete the leftovers of failed backups', bucket: input.bucket });
      });
    const failed = new Set((result.Errors ?? []).map((e) => e.Key));
    for (const o of batch) {
      if (failed.has(o.Key)) continue;
      report.removedObjects++;
      report.removedBytes += o.Size ?? 0;
    }
    if (failed.size) {
      const first = result.Errors![0]!;
      throw new ColdkeepError('DeleteFailed', `${failed.size} leftover object(s) could not be deleted.`, {
        hint: `The first: ${first.Key} (${first.Code ?? 'error'}: ${first.Message ?? ''}). ${report.removedObjects} were removed; run the command again, or check s3:DeleteObject on the prefix.`,
        details: { failedKeys: [...failed], removedObjects: report.removedObjects },
      });
    }
  }
  return report;
}

/** Every open multipart upload under `root`; `listed: false` when the endpoint cannot list them. */
async function listOpenUploads(
  s3: S3Client,
  bucket: string,
  root: string,
  signal?: AbortSignal,
): Promise<{ listed: boolean; note?: string; found: OpenUpload[] }> {
  const found: OpenUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    for (;;) {
      throwIfAborted(signal);
      const page = await s3.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: root,
          ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
        { abortSignal: signal },
      );
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        found.push({ key: u.Key, uploadId: u.UploadId, initiated: (u.Initiated ?? new Date(0)).toISOString() });
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
      if (keyMarker === undefined && uploadIdMarker === undefined) break;
    }
  } catch (err) {
    if (notImplemented(err)) {
      return {
        listed: false,
        note: 'This S3 endpoint does not list multipart uploads; open uploads were not looked for. On AWS, the backup-bucket template aborts them after 7 days by lifecycle rule.',
        found: [],
      };
    }
    throw fromAwsError(err, { doing: `list the open multipart uploads in ${s3Uri(bucket, root)}`, bucket });
  }
  return { listed: true, found };
}

/** An endpoint without the multipart-listing API (s3rver answers 501 NotImplemented or 405 MethodNotAllowed). */
function notImplemented(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NotImplemented' ||
    e?.name === 'MethodNotAllowed' ||
    e?.$metadata?.httpStatusCode === 501 ||
    e?.$metadata?.httpStatusCode === 405
  );
}
