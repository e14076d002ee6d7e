import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Item, itemToLine } from '@coldkeep/shared';

/**
 * Hand-built DynamoDB exports, in the layout and line formats of DynamoDB's own output
 * (DynamoDB developer guide, "DynamoDB table export output format"):
 *   <prefix>/AWSDynamoDB/<exportId>/manifest-summary.json, manifest-files.json, data/<n>.json.gz
 * full lines: {"Item":{…}}; incremental lines:
 *   {"Metadata":{"WriteTimestampMicros":{"N":"…"}},"Keys":{…},"NewImage":{…},"OldImage":{…}}
 * (a delete has no NewImage; an insert has no OldImage; NEW_IMAGE exports never carry OldImage).
 */
export interface Change {
  keys: Item;
  newImage?: Item;
  oldImage?: Item;
}

export type ExportContent =
  | { type: 'full'; files: Item[][] }
  | { type: 'incremental'; view: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE'; files: Change[][]; from: Date; to: Date };

export interface WrittenExport {
  exportArn: string;
  summaryKey: string;
  dataKeys: string[];
  itemCount: number;
}

/** DynamoDB JSON of an item as it appears inside a line (binary as base64). */
function wire(item: Item): unknown {
  return (JSON.parse(itemToLine(item)) as { Item: unknown }).Item;
}

export function changeLine(change: Change, view: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE', micros: number): string {
  return JSON.stringify({
    Metadata: { WriteTimestampMicros: { N: String(micros) } },
    Keys: wire(change.keys),
    ...(change.newImage ? { NewImage: wire(change.newImage) } : {}),
    ...(view === 'NEW_AND_OLD_IMAGES' && change.oldImage ? { OldImage: wire(change.oldImage) } : {}),
  });
}

export async function writeNativeExport(
  s3: S3Client,
  bucket: string,
  exportPrefix: string,
  exportId: string,
  tableArn: string,
  content: ExportContent,
  exportTime = new Date('2026-11-20T10:00:00.000Z'),
): Promise<WrittenExport> {
  const root = `${exportPrefix}/AWSDynamoDB/${exportId}/`;
  const exportArn = `${tableArn}/export/${exportId}`;
  const lines =
    content.type === 'full'
      ? content.files.map((items) => items.map((item) => itemToLine(item)).join(''))
      : content.files.map((changes) =>
          changes.map((c, i) => `${changeLine(c, content.view, content.from.getTime() * 1000 + 1000 + i)}\n`).join(''),
        );
  const manifestLines: string[] = [];
  const dataKeys: string[] = [];
  let itemCount = 0;
  for (const [i, text] of lines.entries()) {
    const body = gzipSync(Buffer.from(text));
    const key = `${root}data/${exportId.slice(0, 6)}part${i}.json.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const count = content.files[i]!.length;
    itemCount += count;
    dataKeys.push(key);
    manifestLines.push(
      JSON.stringify({
        itemCount: count,
        md5Checksum: createHash('md5').update(body).digest('base64'),
        etag: createHash('md5').update(body).digest('hex'),
        dataFileS3Key: key,
      }),
    );
  }
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: `${root}manifest-files.json`, Body: manifestLines.join('\n') + '\n' }),
  );
  const summary = {
    version: content.type === 'full' ? '2020-06-30' : '2023-08-01',
    exportArn,
    startTime: exportTime.toISOString(),
    endTime: new Date(exportTime.getTime() + 300_000).toISOString(),
    tableArn,
    tableId: '12345a12-abcd-123a-ab12-1234abc12345',
    ...(content.type === 'full'
      ? { exportTime: exportTime.toISOString() }
      : { exportFromTime: content.from.toISOString(), exportToTime: content.to.toISOString() }),
    s3Bucket: bucket,
    s3Prefix: exportPrefix,
    s3SseAlgorithm: 'AES256',
    s3SseKmsKeyId: null,
    manifestFilesS3Key: `${root}manifest-files.json`,
    billedSizeBytes: 1234,
    itemCount,
    outputFormat: 'DYNAMODB_JSON',
    ...(content.type === 'incremental' ? { outputView: content.view, exportType: 'INCREMENTAL_EXPORT' } : {}),
  };
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: `${root}manifest-summary.json`, Body: JSON.stringify(summary) }),
  );
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${root}_started`, Body: '' }));
  return { exportArn, summaryKey: `${root}manifest-summary.json`, dataKeys, itemCount };
}
