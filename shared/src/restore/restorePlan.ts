import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { MANIFEST_NAME, parseManifest, parseS3Uri, s3Uri } from '../backup';
import { findBackup } from '../catalog';
import { ColdkeepError, fromAwsError } from '../errors';
import type { TableSchema } from '../tables';

/** Where to restore from: an S3 URI, or a table's backup by id (or "latest"). */
export type RestoreSource = { uri: string } | { bucket: string; prefix?: string; table: string; backupId: string };

export interface PlannedFile {
  /** Full object key. */
  key: string;
  /** Items the backup says the file holds, when it says. */
  items?: number;
  bytes?: number;
  /** Hex SHA-256 (Coldkeep backups). */
  sha256?: string;
  /** Base64 MD5 (DynamoDB native exports). */
  md5?: string;
}

export interface RestorePlan {
  kind: 'coldkeep' | 'native-export';
  bucket: string;
  /** s3:// URI of what is restored. */
  uri: string;
  backupId?: string;
  sourceTable?: string;
  /** Saved schema (Coldkeep backups only; a native export does not carry one). */
  schema?: TableSchema;
  itemCount?: number;
  files: PlannedFile[];
}

const nativeSummary = z.object({
  manifestFilesS3Key: z.string(),
  itemCount: z.number().optional(),
  tableArn: z.string().optional(),
  exportArn: z.string().optional(),
  outputFormat: z.string().optional(),
});
const nativeFile = z.object({
  dataFileS3Key: z.string(),
  itemCount: z.number().optional(),
  md5Checksum: z.string().optional(),
});

async function readText(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return await response.Body!.transformToString();
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw fromAwsError(err, { doing: `read ${s3Uri(bucket, key)}`, bucket });
  }
}

function coldkeepPlan(bucket: string, manifestKey: string, text: string): RestorePlan {
  const manifest = parseManifest(text, s3Uri(bucket, manifestKey));
  const dir = manifestKey.slice(0, manifestKey.length - MANIFEST_NAME.length);
  return {
    kind: 'coldkeep',
    bucket,
    uri: s3Uri(bucket, dir),
    backupId: manifest.backupId,
    sourceTable: manifest.source.table,
    schema: manifest.schema,
    itemCount: manifest.itemCount,
    files: manifest.files.map((f) => ({ key: dir + f.key, items: f.items, bytes: f.bytes, sha256: f.sha256 })),
  };
}

async function nativePlan(s3: S3Client, bucket: string, summaryKey: string, text: string, signal?: AbortSignal) {
  const where = s3Uri(bucket, summaryKey);
  const parsed = nativeSummary.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new ColdkeepError('ManifestInvalid', `${where} is not a DynamoDB export summary.`, {
      hint: 'Point restore at the export folder that holds manifest-summary.json.',
    });
  }
  if (parsed.data.outputFormat && parsed.data.outputFormat !== 'DYNAMODB_JSON') {
    throw new ColdkeepError('InvalidInput', `The export at ${where} is in ${parsed.data.outputFormat} format.`, {
      hint: 'Only DYNAMODB_JSON exports can be restored; export again with --export-format DYNAMODB_JSON.',
    });
  }
  const filesText = await readText(s3, bucket, parsed.data.manifestFilesS3Key, signal);
  if (filesText === undefined) {
    throw new ColdkeepError(
      'BackupIncomplete',
      `The export's file list ${parsed.data.manifestFilesS3Key} is missing.`,
      {
        hint: 'The export may still be running, or was not copied whole.',
      },
    );
  }
  const files = filesText
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => nativeFile.parse(JSON.parse(line)))
    .map((f) => ({
      key: f.dataFileS3Key,
      ...(f.itemCount !== undefined ? { items: f.itemCount } : {}),
      ...(f.md5Checksum ? { md5: f.md5Checksum } : {}),
    }));
  const sourceTable = parsed.data.tableArn?.split('/').pop();
  return {
    kind: 'native-export' as const,
    bucket,
    uri: s3Uri(bucket, summaryKey.slice(0, summaryKey.lastIndexOf('/') + 1)),
    ...(sourceTable ? { sourceTable } : {}),
    ...(parsed.data.itemCount !== undefined ? { itemCount: parsed.data.itemCount } : {}),
    files,
  };
}

/** Finds what to restore and reads its manifest, without touching any data. */
export async function planRestore(s3: S3Client, source: RestoreSource, signal?: AbortSignal): Promise<RestorePlan> {
  if (!('uri' in source)) {
    const backup = await findBackup(s3, source, signal);
    const text = await readText(s3, backup.bucket, backup.manifestKey, signal);
    return coldkeepPlan(backup.bucket, backup.manifestKey, text!);
  }
  const parsed = parseS3Uri(source.uri);
  if (!parsed) {
    throw new ColdkeepError('InvalidInput', `"${source.uri}" is not an s3:// URI.`, {
      hint: 'Use s3://bucket/path/to/backup/ (the folder holding manifest.json), or --table with --backup-id.',
    });
  }
  const { bucket, key } = parsed;
  if (key.endsWith(MANIFEST_NAME)) {
    const text = await readText(s3, bucket, key, signal);
    if (text !== undefined) return coldkeepPlan(bucket, key, text);
  }
  if (key.endsWith('manifest-summary.json')) {
    const text = await readText(s3, bucket, key, signal);
    if (text !== undefined) return nativePlan(s3, bucket, key, text, signal);
  }
  const dir = key === '' || key.endsWith('/') ? key : `${key}/`;
  const manifestText = await readText(s3, bucket, dir + MANIFEST_NAME, signal);
  if (manifestText !== undefined) return coldkeepPlan(bucket, dir + MANIFEST_NAME, manifestText);
  const summaryKey = await findNativeSummary(s3, bucket, dir, signal);
  if (summaryKey) return nativePlan(s3, bucket, summaryKey, (await readText(s3, bucket, summaryKey, signal))!, signal);
  throw new ColdkeepError(
    'BackupNotFound',
    `No backup at ${source.uri}: no manifest.json or manifest-summary.json there.`,
    {
      hint: 'A folder without a manifest is an incomplete backup. "coldkeep backups list" shows the complete ones.',
    },
  );
}

/** A native export folder (…/AWSDynamoDB/<exportId>/) somewhere below `dir`, if exactly one. */
async function findNativeSummary(s3: S3Client, bucket: string, dir: string, signal?: AbortSignal) {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: dir, ContinuationToken: token }), {
        abortSignal: signal,
      })
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: `list ${s3Uri(bucket, dir)}`, bucket });
      });
    for (const o of page.Contents ?? []) if (o.Key?.endsWith('/manifest-summary.json')) found.push(o.Key);
    token = page.NextContinuationToken;
  } while (token && found.length < 2);
  if (found.length > 1) {
    throw new ColdkeepError('InvalidInput', `${s3Uri(bucket, dir)} holds more than one DynamoDB export.`, {
      hint: `Name one, e.g. ${s3Uri(bucket, found[0]!.replace(/manifest-summary\.json$/, ''))}.`,
    });
  }
  return found[0];
}
