import { z } from 'zod';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { tableSchemaSpec } from '../source/tableSchema';

export const MANIFEST_FORMAT = 'coldkeep.table-backup';
export const MANIFEST_FORMAT_VERSION = 1;

const dataFile = z
  .object({
    /** Key relative to the backup's folder, e.g. data/0000-0001.json.gz */
    key: z.string(),
    /** Scan segment and part (scan engine only; an export names its files itself). */
    segment: z.number().int().nonnegative().optional(),
    part: z.number().int().positive().optional(),
    /** Lines in the file: items, or change records in an incremental backup. */
    items: z.number().int().nonnegative(),
    /** Size of the gzip object in S3. */
    bytes: z.number().int().nonnegative(),
    /** Size of the JSON lines before gzip (scan engine only: an export does not say). */
    uncompressedBytes: z.number().int().nonnegative().optional(),
    /** Hex SHA-256 of the object as stored (gzip bytes); Coldkeep's scan computes it. */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** Base64 MD5 of the object, as DynamoDB's export manifest gives it. */
    md5: z.string().optional(),
    /**
     * S3 version id of the object as written (versioned buckets only): restore and verify read
     * exactly this version, so an overwrite after the backup cannot change what is restored.
     */
    versionId: z.string().optional(),
  })
  .refine((f) => f.sha256 !== undefined || f.md5 !== undefined, { message: 'a data file needs sha256 or md5' });

/** What DynamoDB's managed export did for an export-engine backup. */
const exportFacts = z.object({
  exportArn: z.string(),
  /** Key (relative to the backup's folder) of the export's manifest-summary.json. */
  summaryKey: z.string(),
  /** Full exports: the point in time the data is from. */
  exportTime: z.string().optional(),
  /** Incremental exports: the window of changes, [fromTime, toTime). */
  fromTime: z.string().optional(),
  toTime: z.string().optional(),
  viewType: z.enum(['NEW_IMAGE', 'NEW_AND_OLD_IMAGES']).optional(),
  billedSizeBytes: z.number().nonnegative().optional(),
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  backupId: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  engine: z.enum(['scan', 'export']),
  /** A full backup holds items; an incremental one holds the changes since its parent (absent: full). */
  kind: z.enum(['full', 'incremental']).optional(),
  /** The backup an incremental one applies on top of (same table, same folder). */
  parent: z.object({ backupId: z.string(), pointInTime: z.string() }).optional(),
  export: exportFacts.optional(),
  source: z.object({ account: z.string(), region: z.string(), table: z.string() }),
  schema: tableSchemaSpec,
  startedAt: z.string(),
  finishedAt: z.string(),
  itemCount: z.number().int().nonnegative(),
  /** Bytes of DynamoDB JSON lines, before gzip (0 when an export did not say). */
  uncompressedBytes: z.number().int().nonnegative(),
  /** Bytes stored in S3 for the data files. */
  bytes: z.number().int().nonnegative(),
  /** Scan engine only. */
  segments: z.object({ total: z.number().int().positive(), consistentRead: z.boolean() }).optional(),
  files: z.array(dataFile),
  storage: z.object({
    lifecycleTag: z.object({ key: z.string(), value: z.string() }).optional(),
    sse: z.object({ type: z.enum(['AES256', 'aws:kms']), kmsKeyId: z.string().optional() }).optional(),
    objectLock: z.object({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), retainUntil: z.string() }).optional(),
  }),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type ManifestDataFile = z.infer<typeof dataFile>;
export type ExportFacts = z.infer<typeof exportFacts>;

/** The point in time a backup's data is consistent at, which an incremental child starts from. */
export function backupPointInTime(manifest: BackupManifest): string {
  // A scan is not a snapshot: changes from its start on are what a child must carry.
  return manifest.export?.toTime ?? manifest.export?.exportTime ?? manifest.startedAt;
}

export function isIncremental(manifest: BackupManifest): boolean {
  return manifest.kind === 'incremental';
}

/** Parses and checks a manifest; a clear error says which field is wrong. */
export function parseManifest(text: string, where: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ColdkeepError('ManifestInvalid', `The manifest at ${where} is not valid JSON.`, {
      hint: 'The object may be truncated or not a Coldkeep manifest; restore from another backup.',
      cause: err,
    });
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ColdkeepError(
      'ManifestInvalid',
      `The manifest at ${where} is not a Coldkeep table backup manifest (${issue?.path.join('.') || '(root)'}: ${issue?.message}).`,
      { hint: 'It may be from a newer Coldkeep; upgrade, or restore from another backup.' },
    );
  }
  return result.data;
}
