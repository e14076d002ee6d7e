// The versions that were backed up, as request shapes: s3rver keeps no versions, so the version
// handling is checked here against aws-sdk-client-mock (a versioned bucket's answers), and the
// data paths themselves against s3rver in the integration and e2e suites. A test against a real
// versioned bucket is still missing (no emulator here keeps versions).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  accessFor,
  AwsClients,
  backupTable,
  generatePolicy,
  type Item,
  parseManifest,
  restoreTable,
  verifyBackup,
} from '@coldkeep/shared';

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);
const BUCKET = 'backups';
const ITEMS: Item[] = [{ pk: { S: 'a' } }, { pk: { S: 'b' } }, { pk: { S: 'c' } }];

function mocks(scanItems: Item[], versionId: string | undefined): void {
  s3Mock.reset();
  ddbMock.reset();
  ddbMock.on(DescribeTableCommand).resolves({
    Table: {
      TableName: 'T',
      TableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/T',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      ItemCount: scanItems.length,
      TableSizeBytes: 300,
    },
  });
  ddbMock.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  ddbMock.on(ScanCommand).resolves({ Items: scanItems, Count: scanItems.length });
  s3Mock.on(HeadBucketCommand).resolves({});
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"e"', ...(versionId ? { VersionId: versionId } : {}) });
  s3Mock.on(PutObjectTaggingCommand).resolves({});
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u' });
  s3Mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
  s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"c"', ...(versionId ? { VersionId: versionId } : {}) });
}

let clients: AwsClients;
beforeEach(() => {
  clients = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
});
afterEach(() => clients.destroy());

function puts(): PutObjectCommandInput[] {
  return s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
}

/** A backup made against the mocks: the manifest text, its key and the data file's bytes. */
async function mockedBackup(versionId: string | undefined) {
  mocks(ITEMS, versionId);
  const report = await backupTable(clients, { table: 'T', bucket: BUCKET, segments: 1 });
  const manifest = puts().find((p) => p.Key === report.manifestKey)!;
  const data = puts().find((p) => p.Key!.endsWith('.json.gz'))!;
  return { report, manifestText: manifest.Body as string, dataKey: data.Key!, data: data.Body as Buffer };
}

function body(bytes: Buffer | string) {
  const buffer = Buffer.from(bytes);
  return Object.assign(Readable.from([buffer]), { transformToString: async () => buffer.toString('utf8') });
}

/** S3 answers for reading the backup back: the manifest, the data file, and HeadObject's current version. */
function serve(manifestKey: string, manifestText: string, data: Buffer, currentVersion: string | undefined): void {
  s3Mock.on(GetObjectCommand, { Key: manifestKey }).callsFake(() => ({ Body: body(manifestText) }));
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    if (input.Key === manifestKey) return { Body: body(manifestText) };
    return { Body: body(data) };
  });
  s3Mock
    .on(HeadObjectCommand)
    .resolves({ StorageClass: 'STANDARD', ...(currentVersion ? { VersionId: currentVersion } : {}) });
}

describe('the versions that were backed up', () => {
  test('a versioned bucket: the manifest records the VersionId of the PutObject answer', async () => {
    const { manifestText } = await mockedBackup('v-data-1');
    const manifest = parseManifest(manifestText, 'test');
    assert.equal(manifest.files[0]!.versionId, 'v-data-1');
  });

  test('a multipart data file: the VersionId comes from the CompleteMultipartUpload answer', async () => {
    const big: Item[] = Array.from({ length: 7 }, (_, i) => ({
      pk: { S: `big-${i}` },
      blob: { B: new Uint8Array(randomBytes(1024 * 1024)) },
    }));
    mocks(big, 'v-multi');
    const report = await backupTable(clients, { table: 'T', bucket: BUCKET, segments: 1 });
    assert.equal(s3Mock.commandCalls(CompleteMultipartUploadCommand).length, 1);
    const manifest = parseManifest(puts().find((p) => p.Key === report.manifestKey)!.Body as string, 'test');
    assert.equal(manifest.files[0]!.versionId, 'v-multi');
  });

  test('an unversioned bucket (no VersionId, or "null"): no versionId, and old manifests read unchanged', async () => {
    for (const answer of [undefined, 'null']) {
      const { manifestText } = await mockedBackup(answer);
      assert.equal(parseManifest(manifestText, 'test').files[0]!.versionId, undefined);
      assert.doesNotMatch(manifestText, /versionId/);
    }
  });

  test('verify reads the backed-up version (GetObject VersionId) and says when the current one differs', async () => {
    const { report, manifestText, data, dataKey } = await mockedBackup('v-backed-up');
    serve(report.manifestKey, manifestText, data, 'v-overwritten-later');
    const verified = await verifyBackup(clients, { source: { uri: report.uri } });
    assert.equal(verified.ok, true, verified.problems.join('; '));
    const reads = s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input);
    const dataRead = reads.find((r) => r.Key === dataKey)!;
    assert.equal(dataRead.VersionId, 'v-backed-up');
    assert.equal(verified.versionsChanged, 1);
    assert.equal(verified.files[0]!.versionId, 'v-backed-up');
    assert.equal(verified.files[0]!.currentVersionId, 'v-overwritten-later');
    assert.match(
      verified.warnings[0]!,
      /changed after the backup \(current version v-overwritten-later\).*v-backed-up/,
    );
  });

  test('verify: the current version equal to the backed-up one is no warning; a deleted key (404 on HEAD) is', async () => {
    const { report, manifestText, data } = await mockedBackup('v1');
    serve(report.manifestKey, manifestText, data, 'v1');
    const same = await verifyBackup(clients, { source: { uri: report.uri } });
    assert.equal(same.versionsChanged, 0);
    assert.deepEqual(same.warnings, []);
    s3Mock
      .on(HeadObjectCommand)
      .rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    const deleted = await verifyBackup(clients, { source: { uri: report.uri } });
    assert.equal(deleted.ok, true, 'the backed-up version is still readable');
    assert.match(deleted.warnings[0]!, /current version none: deleted/);
  });

  test('an unversioned backup: GetObject without VersionId, and no HeadObject for versions', async () => {
    const { report, manifestText, data, dataKey } = await mockedBackup(undefined);
    serve(report.manifestKey, manifestText, data, undefined);
    const verified = await verifyBackup(clients, { source: { uri: report.uri } });
    assert.equal(verified.ok, true);
    const dataRead = s3Mock
      .commandCalls(GetObjectCommand)
      .map((c) => c.args[0].input)
      .find((r) => r.Key === dataKey)!;
    assert.equal(dataRead.VersionId, undefined);
    assert.equal(s3Mock.commandCalls(HeadObjectCommand).length, 0);
  });

  test('restore reads the backed-up version and warns that the current one differs', async () => {
    const { report, manifestText, data, dataKey } = await mockedBackup('v-backed-up');
    serve(report.manifestKey, manifestText, data, 'v-later');
    ddbMock
      .on(DescribeTableCommand)
      .rejects(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' }));
    const restored = await restoreTable(clients, { source: { uri: report.uri }, target: 'Copy', dryRun: true });
    const dataRead = s3Mock
      .commandCalls(GetObjectCommand)
      .map((c) => c.args[0].input)
      .find((r) => r.Key === dataKey)!;
    assert.equal(dataRead.VersionId, 'v-backed-up');
    assert.ok(
      restored.warnings.some((w) => /changed after the backup \(current version v-later\)/.test(w)),
      restored.warnings.join('; '),
    );
  });

  test('policy: reading a version is s3:GetObjectVersion, granted with versionedBucket only', () => {
    const env = { region: 'us-east-1', account: '123456789012' };
    const [versioned] = accessFor(
      { service: 's3', operation: 'GetObject', input: { Bucket: 'b', Key: 'k', VersionId: 'v1' } },
      env,
    );
    assert.equal(versioned!.action, 's3:GetObjectVersion');
    const [plain] = accessFor({ service: 's3', operation: 'GetObject', input: { Bucket: 'b', Key: 'k' } }, env);
    assert.equal(plain!.action, 's3:GetObject');
    const actions = (versionedBucket: boolean) =>
      generatePolicy({ operations: ['restore'], bucket: 'b', versionedBucket }).policy.Statement.flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      );
    assert.ok(actions(true).includes('s3:GetObjectVersion'));
    assert.ok(!actions(false).includes('s3:GetObjectVersion'));
  });
});
