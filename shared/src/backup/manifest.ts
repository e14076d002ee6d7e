import { z } from 'zod';
import { ColdkeepError } from '../errors';
import { tableSchemaSpec } from '../tables';

export const MANIFEST_FORMAT = 'coldkeep.table-backup';
export const MANIFEST_FORMAT_VERSION = 1;

const dataFile = z.object({
  /** Key relative to the backup's folder, e.g. data/0000-0001.json.gz */
  key: z.string(),
  segment: z.number().int().nonnegative(),
  part: z.number().int().positive(),
  items: z.number().int().nonnegative(),
  /** Size of the gzip object in S3. */
  bytes: z.number().int().nonnegative(),
  /** Size of the JSON lines before gzip. */
  uncompressedBytes: z.number().int().nonnegative(),
  /** Hex SHA-256 of the object as stored (gzip bytes). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  backupId: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  engine: z.literal('scan'),
  source: z.object({ account: z.string(), region: z.string(), table: z.string() }),
  schema: tableSchemaSpec,
  startedAt: z.string(),
  finishedAt: z.string(),
  itemCount: z.number().int().nonnegative(),
  /** Bytes of DynamoDB JSON lines, before gzip. */
  uncompressedBytes: z.number().int().nonnegative(),
  /** Bytes stored in S3 for the data files. */
  bytes: z.number().int().nonnegative(),
  segments: z.object({ total: z.number().int().positive(), consistentRead: z.boolean() }),
  files: z.array(dataFile),
  storage: z.object({
    lifecycleTag: z.object({ key: z.string(), value: z.string() }).optional(),
    sse: z.object({ type: z.enum(['AES256', 'aws:kms']), kmsKeyId: z.string().optional() }).optional(),
    objectLock: z.object({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), retainUntil: z.string() }).optional(),
  }),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type ManifestDataFile = z.infer<typeof dataFile>;

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
