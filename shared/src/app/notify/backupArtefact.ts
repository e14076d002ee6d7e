import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { lifecycleTags, objectParams, type StorageOptions } from '../../storage/storageOptions';
import { type BackupReport } from '../../tables/backup/backupReport';
import { backupDir, parseManifestKey } from '../../tables/repository/layout';
import { getManifest } from '../../tables/repository/listBackups';
import { fromAwsError } from '../../base/errors/fromAwsError';
import type { LinkedArtefact } from './emailMessage';
import { bytesText } from './figures';

/**
 * The one file a backup's email links to. A backup of one data file links that file. A
 * backup of several gets a bundle beside them, download/<table>.json.gz: the data files
 * one after another, which is itself a valid gzip file (RFC 1952 allows several members),
 * so it unpacks to all of the table's DynamoDB JSON lines. It is built from the backup's
 * own objects, so it holds exactly what the backup holds; DynamoDB is not read again.
 */
export async function backupArtefact(
  s3: S3Client,
  report: BackupReport,
  storage: StorageOptions = {},
  signal?: AbortSignal,
): Promise<LinkedArtefact & { bytes: number }> {
  const location = parseManifestKey(report.bucket, report.manifestKey)!;
  const dir = backupDir(location);
  const manifest = await getManifest(s3, location, signal);
  const fileName = `${report.table}-${report.backupId}.json.gz`;
  const what = (bytes: number): string =>
    `the backup of ${report.table} (gzip of DynamoDB JSON lines, ${bytesText(bytes)})`;
  if (manifest.files.length === 1) {
    const only = manifest.files[0]!;
    return { bucket: report.bucket, key: dir + only.key, bytes: only.bytes, fileName, description: what(only.bytes) };
  }
  const key = `${dir}download/${report.table}.json.gz`;
  async function* concatenated(): AsyncGenerator<Uint8Array> {
    for (const file of manifest.files) {
      const answer = await s3.send(new GetObjectCommand({ Bucket: report.bucket, Key: dir + file.key }), {
        abortSignal: signal,
      });
      for await (const chunk of answer.Body as AsyncIterable<Uint8Array>) yield chunk;
    }
  }
  try {
    await new Upload({
      client: s3,
      params: {
        Bucket: report.bucket,
        Key: key,
        Body: Readable.from(concatenated()),
        ContentType: 'application/gzip',
        ...objectParams(storage),
      },
      tags: lifecycleTags(storage),
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    }).done();
  } catch (err) {
    throw fromAwsError(err, { doing: 'write the download bundle of the backup', bucket: report.bucket });
  }
  return { bucket: report.bucket, key, bytes: manifest.bytes, fileName, description: what(manifest.bytes) };
}
