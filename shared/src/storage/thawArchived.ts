import { HeadObjectCommand, RestoreObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isArchivedClass } from './archiveClasses';
import { ColdkeepError } from '../base/errors/ColdkeepError';
import { fromAwsError } from '../base/errors/fromAwsError';
import { dataFileMissing, isMissingObject } from './missingObject';
import { sleep } from '../base/jobs/job';
import { runPool } from '../base/jobs/pool';

export type RetrievalTier = 'Expedited' | 'Standard' | 'Bulk';

export interface ThawOptions {
  tier?: RetrievalTier;
  /** Days the thawed copy stays readable (Glacier classes). */
  days?: number;
  /** Wait until every object is readable (polling), instead of failing with ArchivedObjects. */
  wait?: boolean;
  pollIntervalMs?: number;
  /** What the objects are, for the message ("data files" by default; "blobs" for folder snapshots). */
  noun?: string;
}

export type ObjectState = 'readable' | 'archived' | 'restoring';

export interface ObjectArchiveState {
  key: string;
  storageClass: string;
  state: ObjectState;
}

/** How long a retrieval usually takes, to tell the user when to come back. */
export function typicalWait(storageClass: string, tier: RetrievalTier): string {
  const deep = storageClass === 'DEEP_ARCHIVE' || storageClass === 'DEEP_ARCHIVE_ACCESS';
  if (tier === 'Expedited') return '1–5 minutes';
  if (tier === 'Standard') return deep ? 'up to 12 hours' : '3–5 hours';
  return deep ? 'up to 48 hours' : '5–12 hours';
}

/** Which objects need a retrieval before they can be read (HeadObject each). */
export async function archiveStates(
  s3: S3Client,
  bucket: string,
  keys: string[],
  signal?: AbortSignal,
): Promise<ObjectArchiveState[]> {
  const states: ObjectArchiveState[] = [];
  await runPool(
    keys,
    16,
    async (key) => {
      const head = await s3
        .send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
        .catch(async (err: unknown) => {
          if (isMissingObject(err)) throw await dataFileMissing(s3, bucket, key, err, signal);
          throw fromAwsError(err, { doing: `read ${key}`, bucket });
        });
      const storageClass = head.ArchiveStatus ?? head.StorageClass ?? 'STANDARD';
      const archived = isArchivedClass(head.StorageClass) || head.ArchiveStatus !== undefined;
      let state: ObjectState = 'readable';
      if (archived) {
        if (head.Restore?.includes('ongoing-request="true"')) state = 'restoring';
        else if (!head.Restore?.includes('ongoing-request="false"')) state = 'archived';
      }
      states.push({ key, storageClass, state });
    },
    signal,
  );
  return states;
}

async function startRetrieval(s3: S3Client, bucket: string, object: ObjectArchiveState, options: ThawOptions) {
  const tier = options.tier ?? 'Standard';
  // Intelligent-Tiering archive tiers take no Days: the object moves back to its access tier.
  const intelligentTiering = object.storageClass.endsWith('_ACCESS');
  try {
    await s3.send(
      new RestoreObjectCommand({
        Bucket: bucket,
        Key: object.key,
        RestoreRequest: intelligentTiering
          ? { GlacierJobParameters: { Tier: tier } }
          : { Days: options.days ?? 7, GlacierJobParameters: { Tier: tier } },
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name === 'RestoreAlreadyInProgress') return;
    throw fromAwsError(err, { doing: `start a retrieval of ${object.key}`, bucket });
  }
}

/**
 * Makes archived objects readable: starts a retrieval for each one not yet on its way back,
 * then either waits (polling) or fails with ArchivedObjects saying when to come back.
 */
export async function thawArchived(
  s3: S3Client,
  bucket: string,
  keys: string[],
  options: ThawOptions,
  signal?: AbortSignal,
  onWaiting?: (pending: ObjectArchiveState[]) => void,
): Promise<void> {
  let pending = (await archiveStates(s3, bucket, keys, signal)).filter((o) => o.state !== 'readable');
  if (pending.length === 0) return;
  const tier = options.tier ?? 'Standard';
  if (tier === 'Expedited' && pending.some((o) => o.storageClass.startsWith('DEEP_ARCHIVE'))) {
    throw new ColdkeepError('InvalidInput', 'Expedited retrieval is not available for Glacier Deep Archive.', {
      hint: 'Use {setting:tier=Standard} or {setting:tier=Bulk}.',
    });
  }
  await runPool(
    pending.filter((o) => o.state === 'archived'),
    8,
    (o) => startRetrieval(s3, bucket, o, options),
    signal,
  );
  if (!options.wait) {
    const slowest = pending.find((o) => o.storageClass.startsWith('DEEP_ARCHIVE')) ?? pending[0]!;
    throw new ColdkeepError(
      'ArchivedObjects',
      `${pending.length} of ${keys.length} ${options.noun ?? 'data files'} are archived (${slowest.storageClass}); their retrieval (${tier}) has started.`,
      {
        hint: `Run the same restore again in ${typicalWait(slowest.storageClass, tier)}, or turn on {setting:wait} to let Coldkeep poll until they are readable.`,
        details: { archived: pending.map((o) => o.key), tier },
      },
    );
  }
  const interval = options.pollIntervalMs ?? 60_000;
  while (pending.length > 0) {
    onWaiting?.(pending);
    await sleep(interval, signal);
    const states = await archiveStates(
      s3,
      bucket,
      pending.map((o) => o.key),
      signal,
    );
    pending = states.filter((o) => o.state !== 'readable');
  }
}
