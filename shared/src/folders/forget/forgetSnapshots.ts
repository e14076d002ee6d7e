import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { snapshotKey, sourceLocation } from '../repository/layout';
import { applyRetention, type RetentionDecision, type RetentionPolicy } from './retention';
import { snapshotIds } from '../repository/snapshotCatalog';

export interface ForgetInput extends RetentionPolicy {
  bucket: string;
  prefix?: string;
  source: string;
  /** Say what would be forgotten, delete nothing. */
  dryRun?: boolean;
}

export interface ForgetProgress {
  phase: 'list' | 'delete';
  source: string;
  snapshots: number;
  forgotten: number;
}

export interface ForgetReport {
  source: string;
  dryRun: boolean;
  decisions: RetentionDecision[];
  kept: string[];
  forgotten: string[];
  /** Snapshots S3 refused to delete (Object Lock retention, or permissions), with its reason. */
  notDeleted: { snapshotId: string; reason: string }[];
}

/** Deletes keys in batches of 1000; returns the keys S3 refused, with its reason. */
export async function deleteKeys(
  s3: S3Client,
  bucket: string,
  keys: string[],
  signal?: AbortSignal,
): Promise<{ key: string; reason: string }[]> {
  const refused: { key: string; reason: string }[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    throwIfAborted(signal);
    const batch = keys.slice(i, i + 1000);
    const result = await s3
      .send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        {
          abortSignal: signal,
        },
      )
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: 'delete objects', bucket });
      });
    for (const e of result.Errors ?? [])
      refused.push({ key: e.Key ?? '?', reason: `${e.Code ?? 'Error'}: ${e.Message ?? ''}`.trim() });
  }
  return refused;
}

/**
 * Applies a retention policy to a source's snapshots and deletes the manifests of the others.
 * Blobs are left alone: "prune" removes the ones no remaining snapshot needs.
 */
export async function forgetSnapshots(
  clients: AwsClients,
  input: ForgetInput,
  { signal, onProgress }: JobOptions<ForgetProgress> = {},
): Promise<ForgetReport> {
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  const policy: RetentionPolicy = {
    last: input.last,
    daily: input.daily,
    weekly: input.weekly,
    monthly: input.monthly,
  };
  const ids = await snapshotIds(clients.s3, loc, signal);
  const decisions = applyRetention(ids, policy);
  const kept = decisions.filter((d) => d.keep).map((d) => d.snapshotId);
  const forgotten = decisions.filter((d) => !d.keep).map((d) => d.snapshotId);
  onProgress?.({ phase: 'delete', source: loc.source, snapshots: ids.length, forgotten: forgotten.length });
  let notDeleted: { snapshotId: string; reason: string }[] = [];
  if (!input.dryRun && forgotten.length) {
    const refused = await deleteKeys(
      clients.s3,
      loc.bucket,
      forgotten.map((id) => snapshotKey(loc, id)),
      signal,
    );
    notDeleted = refused.map((r) => ({
      snapshotId: /\/([^/]+)\.json\.gz$/.exec(r.key)?.[1] ?? r.key,
      reason: r.reason,
    }));
  }
  return {
    source: loc.source,
    dryRun: input.dryRun ?? false,
    decisions,
    kept,
    forgotten: forgotten.filter((id) => !notDeleted.some((n) => n.snapshotId === id)),
    notDeleted,
  };
}
