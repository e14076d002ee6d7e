import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import { s3Uri } from '../../storage/bucketKeys';

/**
 * DynamoDB's own export layout (S3DataExport.Output in the DynamoDB developer guide):
 *   <export-prefix>/AWSDynamoDB/<exportId>/manifest-summary.json   what was exported, item count, format
 *   <export-prefix>/AWSDynamoDB/<exportId>/manifest-files.json     one JSON line per data file
 *   <export-prefix>/AWSDynamoDB/<exportId>/data/<name>.json.gz     the data
 * A full export's lines are {"Item": {...}}; an incremental export's are change records,
 * {"Metadata": {...}, "Keys": {...}, "NewImage": {...}, "OldImage": {...}}.
 */
export const NATIVE_SUMMARY_NAME = 'manifest-summary.json';

const nativeSummary = z.object({
  manifestFilesS3Key: z.string(),
  itemCount: z.number().optional(),
  billedSizeBytes: z.number().optional(),
  tableArn: z.string().optional(),
  exportArn: z.string().optional(),
  exportTime: z.string().optional(),
  exportFromTime: z.string().optional(),
  exportToTime: z.string().optional(),
  s3Prefix: z.string().nullish(),
  outputFormat: z.string().optional(),
  outputView: z.string().optional(),
  exportType: z.enum(['FULL_EXPORT', 'INCREMENTAL_EXPORT']).optional(),
});
const nativeFile = z.object({
  dataFileS3Key: z.string(),
  itemCount: z.number().optional(),
  md5Checksum: z.string().optional(),
});

export type NativeExportSummary = z.infer<typeof nativeSummary>;

export interface NativeExportFile {
  /** Full object key. */
  key: string;
  items?: number;
  md5?: string;
}

export interface NativeExport {
  summaryKey: string;
  summary: NativeExportSummary;
  incremental: boolean;
  files: NativeExportFile[];
}

export async function readObjectText(
  s3: S3Client,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return await response.Body!.transformToString();
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw fromAwsError(err, { doing: `read ${s3Uri(bucket, key)}`, bucket });
  }
}

/** Reads a DynamoDB export's summary and file list; a clear error for anything else. */
export async function readNativeExport(
  s3: S3Client,
  bucket: string,
  summaryKey: string,
  summaryText?: string,
  signal?: AbortSignal,
): Promise<NativeExport> {
  const where = s3Uri(bucket, summaryKey);
  const text = summaryText ?? (await readObjectText(s3, bucket, summaryKey, signal));
  let json: unknown;
  try {
    json = text === undefined ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = nativeSummary.safeParse(json);
  if (!parsed.success) {
    throw new ColdkeepError('ManifestInvalid', `${where} is not a DynamoDB export summary.`, {
      hint: 'Point restore at the export folder that holds manifest-summary.json.',
    });
  }
  if (parsed.data.outputFormat && parsed.data.outputFormat !== 'DYNAMODB_JSON') {
    throw new ColdkeepError('InvalidInput', `The export at ${where} is in ${parsed.data.outputFormat} format.`, {
      hint: 'Only DYNAMODB_JSON exports can be restored; export the table again in that format ("aws dynamodb export-table-to-point-in-time --export-format DYNAMODB_JSON ...").',
    });
  }
  // Keys in the manifests are full keys; should one come relative to the export prefix, anchor it there.
  const prefix = parsed.data.s3Prefix ? `${parsed.data.s3Prefix.replace(/\/+$/, '')}/` : '';
  const resolve = (key: string): string => (prefix && !key.startsWith(prefix) ? prefix + key : key);
  const filesKey = resolve(parsed.data.manifestFilesS3Key);
  const filesText = await readObjectText(s3, bucket, filesKey, signal);
  if (filesText === undefined) {
    throw new ColdkeepError('BackupIncomplete', `The export's file list ${filesKey} is missing.`, {
      hint: 'The export may still be running, or was not copied whole.',
    });
  }
  const files = filesText
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => nativeFile.parse(JSON.parse(line)))
    .map((f) => ({
      key: resolve(f.dataFileS3Key),
      ...(f.itemCount !== undefined ? { items: f.itemCount } : {}),
      ...(f.md5Checksum ? { md5: f.md5Checksum } : {}),
    }));
  return {
    summaryKey,
    summary: parsed.data,
    incremental: parsed.data.exportType === 'INCREMENTAL_EXPORT',
    files,
  };
}
