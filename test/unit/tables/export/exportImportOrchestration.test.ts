// Orchestration of the export and import engines against aws-sdk-client-mock stubs (no
// emulator serves ExportTableToPointInTime or ImportTable): lifecycles, failure, cancel,
// PITR off, incremental windows. The data path is in integration/exportEngine.test.ts.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeImportCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ExportTableToPointInTimeCommand,
  ImportTableCommand,
  type ImportTableCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AwsClients,
  backupTable,
  type BackupManifest,
  chooseEngine,
  type ColdkeepError,
  generatePolicy,
  readNativeExport,
  restoreTable,
  type TableSchema,
} from '@coldkeep/shared';

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/T';
const EXPORT_ARN = `${TABLE_ARN}/export/01234567890123-a1b2c3d4`;
const IMPORT_ARN = `${TABLE_ARN}-copy/import/01234567890123-e5f6a7b8`;
const BUCKET = 'backups';
const T0 = new Date('2026-11-22T10:00:00.000Z');
const GIB = 1024 ** 3;

function body(text: string): never {
  return { transformToString: async () => text } as never;
}

function describeTable(sizeBytes: number): void {
  ddbMock.on(DescribeTableCommand).resolves({
    Table: {
      TableName: 'T',
      TableArn: TABLE_ARN,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      ItemCount: 3,
      TableSizeBytes: sizeBytes,
    },
  });
  ddbMock.on(DescribeTimeToLiveCommand).resolves({});
}

function pitr(enabled: boolean): void {
  ddbMock.on(DescribeContinuousBackupsCommand).resolves({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: enabled ? 'ENABLED' : 'DISABLED',
      PointInTimeRecoveryDescription: enabled
        ? {
            PointInTimeRecoveryStatus: 'ENABLED',
            EarliestRestorableDateTime: new Date(T0.getTime() - 86_400_000 * 3),
            LatestRestorableDateTime: T0,
          }
        : { PointInTimeRecoveryStatus: 'DISABLED' },
    },
  });
}

/** A completed export's own manifests, as DynamoDB writes them. */
function exportObjects(prefix: string): void {
  const root = `${prefix}/AWSDynamoDB/01234567890123-a1b2c3d4/`;
  s3Mock.on(GetObjectCommand, { Key: `${root}manifest-summary.json` }).resolves({
    Body: body(
      JSON.stringify({ manifestFilesS3Key: `${root}manifest-files.json`, itemCount: 3, outputFormat: 'DYNAMODB_JSON' }),
    ),
  });
  s3Mock.on(GetObjectCommand, { Key: `${root}manifest-files.json` }).resolves({
    Body: body(
      [
        JSON.stringify({ itemCount: 2, md5Checksum: 'AAAA', dataFileS3Key: `${root}data/a.json.gz` }),
        JSON.stringify({ itemCount: 1, md5Checksum: 'BBBB', dataFileS3Key: `${root}data/b.json.gz` }),
      ].join('\n'),
    ),
  });
  s3Mock.on(ListObjectsV2Command).resolves({
    Contents: [
      { Key: `${root}data/a.json.gz`, Size: 100 },
      { Key: `${root}data/b.json.gz`, Size: 50 },
    ],
  });
}

/** Answers ExportTableToPointInTime with an export whose data lands under the asked prefix. */
function exportLifecycle(statuses: ('IN_PROGRESS' | 'COMPLETED' | 'FAILED')[]): void {
  let prefix = '';
  ddbMock.on(ExportTableToPointInTimeCommand).callsFake((input: { S3Prefix: string }) => {
    prefix = input.S3Prefix;
    exportObjects(prefix);
    return { ExportDescription: { ExportArn: EXPORT_ARN, ExportStatus: 'IN_PROGRESS' } };
  });
  let i = 0;
  ddbMock.on(DescribeExportCommand).callsFake(() => {
    const status = statuses[Math.min(i++, statuses.length - 1)];
    return {
      ExportDescription: {
        ExportArn: EXPORT_ARN,
        ExportStatus: status,
        ExportManifest: `${prefix}/AWSDynamoDB/01234567890123-a1b2c3d4/manifest-summary.json`,
        ExportTime: T0,
        ...(status === 'FAILED' ? { FailureCode: 'S3AccessDenied', FailureMessage: 'Access Denied' } : {}),
      },
    };
  });
}

let clients: AwsClients;
beforeEach(() => {
  s3Mock.reset();
  ddbMock.reset();
  s3Mock.on(HeadBucketCommand).resolves({});
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(PutObjectTaggingCommand).resolves({});
  clients = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
});
afterEach(() => clients.destroy());

function manifestPut(): BackupManifest | undefined {
  const put = s3Mock.commandCalls(PutObjectCommand).find((c) => String(c.args[0].input.Key).endsWith('manifest.json'));
  return put ? (JSON.parse(String(put.args[0].input.Body)) as BackupManifest) : undefined;
}

describe('export engine orchestration', () => {
  test('lifecycle: export into the backup data/ prefix with SSE-KMS, poll until COMPLETED, tag data, write the manifest last', async () => {
    describeTable(1024);
    pitr(true);
    exportLifecycle(['IN_PROGRESS', 'IN_PROGRESS', 'COMPLETED']);
    const statuses: string[] = [];
    const report = await backupTable(
      clients,
      {
        table: 'T',
        bucket: BUCKET,
        engine: 'export',
        sse: { type: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k' },
        pollIntervalMs: 1,
        now: () => T0,
      },
      { onProgress: (p) => p.exportStatus && statuses.push(p.exportStatus) },
    );
    const request = ddbMock.commandCalls(ExportTableToPointInTimeCommand)[0]!.args[0].input;
    assert.match(
      request.S3Prefix!,
      /^coldkeep\/tables\/123456789012\/us-east-1\/T\/20261122T100000Z-[0-9a-f]{7}\/data$/,
    );
    assert.equal(request.S3SseAlgorithm, 'KMS');
    assert.equal(request.S3SseKmsKeyId, 'arn:aws:kms:us-east-1:123456789012:key/k');
    assert.equal(request.ExportFormat, 'DYNAMODB_JSON');
    assert.equal(request.ExportType, 'FULL_EXPORT');
    assert.equal(request.ClientToken, report.backupId);
    assert.equal(ddbMock.commandCalls(DescribeExportCommand).length, 3);
    assert.deepEqual([...new Set(statuses)], ['IN_PROGRESS', 'COMPLETED']);
    // Both data files tagged, then the manifest: files, md5s and sizes from the export.
    const tagged = s3Mock.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input.Key!.split('/').pop());
    assert.deepEqual(tagged.sort(), ['a.json.gz', 'b.json.gz']);
    const manifest = manifestPut()!;
    assert.equal(manifest.engine, 'export');
    assert.equal(manifest.itemCount, 3);
    assert.equal(manifest.bytes, 150);
    assert.deepEqual(
      manifest.files.map((f) => [f.key.replace(/^data\/AWSDynamoDB\/[^/]+\//, ''), f.items, f.bytes, f.md5]),
      [
        ['data/a.json.gz', 2, 100, 'AAAA'],
        ['data/b.json.gz', 1, 50, 'BBBB'],
      ],
    );
    assert.equal(manifest.export?.exportArn, EXPORT_ARN);
    assert.equal(manifest.export?.exportTime, T0.toISOString());
    assert.deepEqual(manifest.storage.sse, { type: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k' });
    assert.equal(report.engine, 'export');
    assert.equal(report.files, 2);
    assert.equal(ddbMock.commandCalls(ScanCommand).length, 0);
  });

  test('Object Lock: each exported data file gets the retention, the manifest its lock headers; --at outside PITR is refused', async () => {
    describeTable(1024);
    pitr(true);
    exportLifecycle(['COMPLETED']);
    s3Mock.on(PutObjectRetentionCommand).resolves({});
    const retainUntil = new Date('2030-01-31T00:00:00.000Z');
    await backupTable(clients, {
      table: 'T',
      bucket: BUCKET,
      engine: 'export',
      objectLock: { mode: 'COMPLIANCE', retainUntil },
      pollIntervalMs: 1,
    });
    const retained = s3Mock.commandCalls(PutObjectRetentionCommand).map((c) => c.args[0].input);
    assert.deepEqual(retained.map((r) => [r.Key!.split('/').pop(), r.Retention]).sort(), [
      ['a.json.gz', { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil }],
      ['b.json.gz', { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil }],
    ]);
    const manifest = s3Mock
      .commandCalls(PutObjectCommand)
      .find((c) => String(c.args[0].input.Key).endsWith('manifest.json'))!.args[0].input;
    assert.equal(manifest.ObjectLockMode, 'COMPLIANCE');

    const exportsBefore = ddbMock.commandCalls(ExportTableToPointInTimeCommand).length;
    await assert.rejects(
      backupTable(clients, { table: 'T', bucket: BUCKET, engine: 'export', at: new Date(T0.getTime() + 60_000) }),
      (err: ColdkeepError) =>
        err.code === 'InvalidInput' && /outside the table's point-in-time recovery window/.test(err.message),
    );
    assert.equal(ddbMock.commandCalls(ExportTableToPointInTimeCommand).length, exportsBefore);
  });

  test("a FAILED export throws ExportFailed with DynamoDB's reason and writes no manifest", async () => {
    describeTable(1024);
    pitr(true);
    exportLifecycle(['IN_PROGRESS', 'FAILED']);
    await assert.rejects(
      backupTable(clients, { table: 'T', bucket: BUCKET, engine: 'export', pollIntervalMs: 1 }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'ExportFailed');
        assert.match(err.message, /S3AccessDenied: Access Denied/);
        assert.match(err.message, /No manifest was written/);
        assert.equal(err.details?.manifestWritten, false);
        return true;
      },
    );
    assert.equal(manifestPut(), undefined);
    assert.equal(s3Mock.commandCalls(PutObjectTaggingCommand).length, 0);
  });

  test('cancel stops polling at once, says the export keeps running in AWS, and writes no manifest', async () => {
    describeTable(1024);
    pitr(true);
    exportLifecycle(['IN_PROGRESS']);
    const controller = new AbortController();
    const job = backupTable(
      clients,
      { table: 'T', bucket: BUCKET, engine: 'export', pollIntervalMs: 20 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.exportStatus === 'IN_PROGRESS' && ddbMock.commandCalls(DescribeExportCommand).length >= 2)
            controller.abort();
        },
      },
    );
    await assert.rejects(job, (err: ColdkeepError) => {
      assert.equal(err.code, 'Cancelled');
      assert.match(err.message, /cannot be stopped and keeps writing/);
      assert.equal(err.details?.exportStillRunning, true);
      return true;
    });
    const polls = ddbMock.commandCalls(DescribeExportCommand).length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ddbMock.commandCalls(DescribeExportCommand).length, polls, 'no poll after the cancel');
    assert.equal(manifestPut(), undefined);
  });

  test('PITR off: auto scans a large table and says how to turn PITR on and what it costs; export is refused', async () => {
    const schema = { tableName: 'T', approximateSizeBytes: 50 * GIB } as TableSchema;
    const auto = chooseEngine('auto', schema, { enabled: false });
    assert.equal(auto.engine, 'scan');
    assert.match(
      auto.advice!,
      /aws dynamodb update-continuous-backups --table-name T --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true/,
    );
    assert.match(auto.advice!, /\$0\.20 per GB-month/);
    assert.equal(chooseEngine('auto', schema, { enabled: true }).engine, 'export');
    assert.equal(chooseEngine('auto', schema, { enabled: true }, { thresholdBytes: 100 * GIB }).engine, 'scan');
    assert.equal(chooseEngine('auto', { ...schema, approximateSizeBytes: GIB }, { enabled: true }).engine, 'scan');

    describeTable(1024);
    pitr(false);
    await assert.rejects(
      backupTable(clients, { table: 'T', bucket: BUCKET, engine: 'export' }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'PitrDisabled');
        assert.match(err.hint!, /update-continuous-backups/);
        return true;
      },
    );
    assert.equal(ddbMock.commandCalls(ExportTableToPointInTimeCommand).length, 0);
  });

  test('auto on a large table falls back to the scan when PITR cannot be read (denied, or an endpoint without it)', async () => {
    describeTable(50 * GIB);
    ddbMock.on(ScanCommand).resolves({ Items: [], Count: 0 });
    ddbMock
      .on(DescribeContinuousBackupsCommand)
      .rejectsOnce(Object.assign(new Error('UnknownError'), { name: 'UnknownOperationException' }))
      .rejects(
        Object.assign(new Error('User: x is not authorized to perform: dynamodb:DescribeContinuousBackups'), {
          name: 'AccessDeniedException',
        }),
      );
    const unknown = await backupTable(clients, { table: 'T', bucket: BUCKET, segments: 1 });
    assert.equal(unknown.engine, 'scan');
    assert.match(unknown.engineReason, /no point-in-time recovery/);
    const denied = await backupTable(clients, { table: 'T', bucket: BUCKET, segments: 1 });
    assert.equal(denied.engine, 'scan');
    assert.match(denied.engineReason, /AccessDenied/);
    assert.match(denied.engineAdvice!, /backup-table-export/);
    assert.equal(ddbMock.commandCalls(ExportTableToPointInTimeCommand).length, 0);
  });

  test('auto on a small table makes no PITR call (the scan-only policy stays enough)', async () => {
    describeTable(1024);
    ddbMock.on(ScanCommand).resolves({ Items: [], Count: 0 });
    const report = await backupTable(clients, { table: 'T', bucket: BUCKET, segments: 1 });
    assert.equal(report.engine, 'scan');
    assert.equal(ddbMock.commandCalls(DescribeContinuousBackupsCommand).length, 0);
  });

  test('--at with the scan engine is refused before anything is read', async () => {
    describeTable(1024);
    await assert.rejects(
      backupTable(clients, { table: 'T', bucket: BUCKET, engine: 'scan', at: T0 }),
      (err: ColdkeepError) => err.code === 'InvalidInput' && /\{setting:engine=export\}/.test(err.hintTemplate ?? ''),
    );
    assert.equal(ddbMock.commandCalls(ScanCommand).length, 0);
  });
});

describe('incremental windows', () => {
  const parentDir = 'coldkeep/tables/123456789012/us-east-1/T/20261122T080000Z-aaaa/';
  function parent(pointInTime: Date, engine: 'scan' | 'export' = 'export'): void {
    s3Mock.on(ListObjectsV2Command, { Prefix: 'coldkeep/tables/' }).resolves({
      Contents: [{ Key: `${parentDir}manifest.json`, Size: 1 }],
    });
    const manifest = {
      format: 'coldkeep.table-backup',
      formatVersion: 1,
      backupId: '20261122T080000Z-aaaa',
      tool: { name: 'coldkeep', version: '0' },
      engine,
      source: { account: '123456789012', region: 'us-east-1', table: 'T' },
      schema: {
        tableName: 'T',
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        billingMode: 'PAY_PER_REQUEST',
        globalSecondaryIndexes: [],
        localSecondaryIndexes: [],
        approximateItemCount: 0,
        approximateSizeBytes: 0,
      },
      startedAt: pointInTime.toISOString(),
      finishedAt: pointInTime.toISOString(),
      itemCount: 0,
      uncompressedBytes: 0,
      bytes: 0,
      files: [],
      storage: {},
      ...(engine === 'export'
        ? { export: { exportArn: 'x', summaryKey: 'y', exportTime: pointInTime.toISOString() } }
        : {}),
    };
    s3Mock
      .on(GetObjectCommand, { Key: `${parentDir}manifest.json` })
      .resolves({ Body: body(JSON.stringify(manifest)) });
  }

  test("the window runs from the previous backup's point in time to --at, NEW_AND_OLD_IMAGES", async () => {
    describeTable(1024);
    pitr(true);
    const from = new Date(T0.getTime() - 2 * 3_600_000);
    parent(from);
    exportLifecycle(['COMPLETED']);
    const report = await backupTable(clients, {
      table: 'T',
      bucket: BUCKET,
      incremental: true,
      at: new Date(T0.getTime() - 60_000),
      pollIntervalMs: 1,
    });
    const request = ddbMock.commandCalls(ExportTableToPointInTimeCommand)[0]!.args[0].input;
    assert.equal(request.ExportType, 'INCREMENTAL_EXPORT');
    assert.deepEqual(request.IncrementalExportSpecification, {
      ExportFromTime: from,
      ExportToTime: new Date(T0.getTime() - 60_000),
      ExportViewType: 'NEW_AND_OLD_IMAGES',
    });
    assert.equal(request.ExportTime, undefined);
    assert.equal(report.kind, 'incremental');
    assert.equal(report.parentBackupId, '20261122T080000Z-aaaa');
    assert.deepEqual(manifestPut()?.parent, { backupId: '20261122T080000Z-aaaa', pointInTime: from.toISOString() });
  });

  test('without --at the window ends at the latest restorable time; a scanned parent counts from its start', async () => {
    describeTable(1024);
    pitr(true);
    const from = new Date(T0.getTime() - 3_600_000);
    parent(from, 'scan');
    exportLifecycle(['COMPLETED']);
    await backupTable(clients, { table: 'T', bucket: BUCKET, incremental: true, pollIntervalMs: 1 });
    const spec = ddbMock.commandCalls(ExportTableToPointInTimeCommand)[0]!.args[0].input.IncrementalExportSpecification;
    assert.deepEqual([spec?.ExportFromTime, spec?.ExportToTime], [from, T0]);
  });

  for (const [name, fromOffsetMs, pattern] of [
    ['shorter than 15 minutes', 10 * 60_000, /at least 15 minutes/],
    ['longer than 24 hours', 25 * 3_600_000, /at most 24 hours/],
    ['older than the PITR window', 4 * 86_400_000, /older than the table's point-in-time recovery window/],
  ] as const) {
    test(`a window ${name} is refused before any export starts`, async () => {
      describeTable(1024);
      pitr(true);
      parent(new Date(T0.getTime() - fromOffsetMs));
      exportLifecycle(['COMPLETED']);
      await assert.rejects(
        backupTable(clients, { table: 'T', bucket: BUCKET, incremental: true, pollIntervalMs: 1 }),
        (err: ColdkeepError) => err.code === 'InvalidInput' && pattern.test(err.message),
      );
      assert.equal(ddbMock.commandCalls(ExportTableToPointInTimeCommand).length, 0);
    });
  }

  test('no previous backup: a clear error; --incremental with --engine scan: refused', async () => {
    describeTable(1024);
    pitr(true);
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    await assert.rejects(
      backupTable(clients, { table: 'T', bucket: BUCKET, incremental: true }),
      (err: ColdkeepError) => err.code === 'BackupNotFound' && /full backup first/.test(err.hint ?? ''),
    );
    await assert.rejects(
      backupTable(clients, { table: 'T', bucket: BUCKET, incremental: true, engine: 'scan' }),
      (err: ColdkeepError) => err.code === 'InvalidInput',
    );
  });
});

describe('import engine orchestration', () => {
  const dir = 'coldkeep/tables/123456789012/us-east-1/T/20261122T100000Z-abcd/';
  function backup(overrides: Partial<BackupManifest> = {}): void {
    const manifest = {
      format: 'coldkeep.table-backup',
      formatVersion: 1,
      backupId: '20261122T100000Z-abcd',
      tool: { name: 'coldkeep', version: '0' },
      engine: 'scan',
      source: { account: '123456789012', region: 'us-east-1', table: 'T' },
      schema: {
        tableName: 'T',
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        billingMode: 'PROVISIONED',
        provisionedThroughput: { readCapacityUnits: 5, writeCapacityUnits: 7 },
        globalSecondaryIndexes: [
          {
            indexName: 'byG',
            keySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
            projection: { ProjectionType: 'ALL' },
            provisionedThroughput: { readCapacityUnits: 1, writeCapacityUnits: 1 },
          },
        ],
        localSecondaryIndexes: [],
        approximateItemCount: 3,
        approximateSizeBytes: 10,
      },
      startedAt: T0.toISOString(),
      finishedAt: T0.toISOString(),
      itemCount: 3,
      uncompressedBytes: 10,
      bytes: 10,
      segments: { total: 2, consistentRead: false },
      files: [
        {
          key: 'data/0000-0001.json.gz',
          segment: 0,
          part: 1,
          items: 2,
          bytes: 5,
          uncompressedBytes: 5,
          sha256: 'a'.repeat(64),
        },
        {
          key: 'data/0001-0001.json.gz',
          segment: 1,
          part: 1,
          items: 1,
          bytes: 5,
          uncompressedBytes: 5,
          sha256: 'b'.repeat(64),
        },
      ],
      storage: {},
      ...overrides,
    };
    s3Mock.on(GetObjectCommand, { Key: `${dir}manifest.json` }).resolves({ Body: body(JSON.stringify(manifest)) });
    s3Mock.on(HeadObjectCommand).resolves({ StorageClass: 'STANDARD' });
    ddbMock
      .on(DescribeTableCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
  }
  function importLifecycle(final: Record<string, unknown>): void {
    ddbMock
      .on(ImportTableCommand)
      .resolves({ ImportTableDescription: { ImportArn: IMPORT_ARN, ImportStatus: 'IN_PROGRESS' } });
    ddbMock
      .on(DescribeImportCommand)
      .resolvesOnce({
        ImportTableDescription: { ImportArn: IMPORT_ARN, ImportStatus: 'IN_PROGRESS', ImportedItemCount: 1 },
      })
      .resolves({ ImportTableDescription: { ImportArn: IMPORT_ARN, ...final } });
  }
  const source = { uri: `s3://${BUCKET}/${dir}` };

  test('lifecycle: ImportTable with the saved keys, GSIs and billing mode from the data prefix, polled to COMPLETED, count checked', async () => {
    backup();
    importLifecycle({ ImportStatus: 'COMPLETED', ImportedItemCount: 3, ProcessedItemCount: 3, ErrorCount: 0 });
    const report = await restoreTable(clients, { source, target: 'T-copy', engine: 'import', pollIntervalMs: 1 });
    const input = ddbMock.commandCalls(ImportTableCommand)[0]!.args[0].input as ImportTableCommandInput;
    assert.deepEqual(input.S3BucketSource, { S3Bucket: BUCKET, S3KeyPrefix: `${dir}data/` });
    assert.equal(input.InputFormat, 'DYNAMODB_JSON');
    assert.equal(input.InputCompressionType, 'GZIP');
    assert.equal(input.TableCreationParameters?.TableName, 'T-copy');
    assert.equal(input.TableCreationParameters?.BillingMode, 'PROVISIONED');
    assert.deepEqual(input.TableCreationParameters?.ProvisionedThroughput, {
      ReadCapacityUnits: 5,
      WriteCapacityUnits: 7,
    });
    assert.equal(input.TableCreationParameters?.GlobalSecondaryIndexes?.[0]?.IndexName, 'byG');
    assert.equal(ddbMock.commandCalls(DescribeImportCommand).length, 2);
    assert.equal(report.engine, 'import');
    assert.equal(report.itemsWritten, 3);
    assert.equal(report.import?.importArn, IMPORT_ARN);
  });

  test('cancel stops polling DescribeImport and says the import keeps running and creates the table', async () => {
    backup();
    importLifecycle({ ImportStatus: 'IN_PROGRESS' });
    const controller = new AbortController();
    const job = restoreTable(
      clients,
      { source, target: 'T-copy', engine: 'import', pollIntervalMs: 20 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'import' && ddbMock.commandCalls(DescribeImportCommand).length >= 2) controller.abort();
        },
      },
    );
    await assert.rejects(job, (err: ColdkeepError) => {
      assert.equal(err.code, 'Cancelled');
      assert.match(err.message, /keeps running in AWS and creates table "T-copy"/);
      return true;
    });
    const polls = ddbMock.commandCalls(DescribeImportCommand).length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ddbMock.commandCalls(DescribeImportCommand).length, polls, 'no poll after the cancel');
  });

  test('items that failed to import: ImportFailed names the count and the CloudWatch log group', async () => {
    backup();
    importLifecycle({
      ImportStatus: 'COMPLETED',
      ImportedItemCount: 2,
      ErrorCount: 1,
      CloudWatchLogGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws-dynamodb/imports:*',
    });
    await assert.rejects(
      restoreTable(clients, { source, target: 'T-copy', engine: 'import', pollIntervalMs: 1 }),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'ImportFailed');
        assert.match(err.message, /1 could not be imported/);
        assert.match(err.message, /log-group:\/aws-dynamodb\/imports/);
        return true;
      },
    );
  });

  test('a FAILED import reports its failure code; a short count is a CountMismatch', async () => {
    backup();
    importLifecycle({ ImportStatus: 'FAILED', FailureCode: 'S3NoSuchKey', FailureMessage: 'gone' });
    await assert.rejects(
      restoreTable(clients, { source, target: 'T-copy', engine: 'import', pollIntervalMs: 1 }),
      (err: ColdkeepError) => err.code === 'ImportFailed' && /FAILED: S3NoSuchKey: gone/.test(err.message),
    );
    ddbMock.reset();
    backup();
    importLifecycle({ ImportStatus: 'COMPLETED', ImportedItemCount: 2, ErrorCount: 0 });
    await assert.rejects(
      restoreTable(clients, { source, target: 'T-copy', engine: 'import', pollIntervalMs: 1 }),
      (err: ColdkeepError) => err.code === 'CountMismatch',
    );
  });

  test('an existing target, an incremental backup and LSIs are refused before ImportTable', async () => {
    backup();
    ddbMock.on(DescribeTableCommand).resolves({ Table: { TableName: 'T-copy', KeySchema: [] } });
    ddbMock.on(ScanCommand).resolves({ Count: 0 });
    await assert.rejects(
      restoreTable(clients, { source, target: 'T-copy', engine: 'import' }),
      (err: ColdkeepError) => err.code === 'TableExists',
    );
    backup({
      schema: {
        tableName: 'T',
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        billingMode: 'PAY_PER_REQUEST',
        globalSecondaryIndexes: [],
        localSecondaryIndexes: [
          { indexName: 'l', keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], projection: {} },
        ],
        approximateItemCount: 0,
        approximateSizeBytes: 0,
      },
    });
    await assert.rejects(
      restoreTable(clients, { source, target: 'T-copy', engine: 'import' }),
      (err: ColdkeepError) => err.code === 'InvalidInput' && /local secondary indexes/.test(err.message),
    );
    assert.equal(ddbMock.commandCalls(ImportTableCommand).length, 0);
  });
});

describe('native export manifests', () => {
  test('keys given relative to the export prefix are anchored under it', async () => {
    const root = 'exports/AWSDynamoDB/01234567890123-a1b2c3d4/';
    s3Mock.on(GetObjectCommand, { Key: `${root}manifest-summary.json` }).resolves({
      Body: body(
        JSON.stringify({
          s3Prefix: 'exports',
          manifestFilesS3Key: 'AWSDynamoDB/01234567890123-a1b2c3d4/manifest-files.json',
          itemCount: 1,
          outputFormat: 'DYNAMODB_JSON',
          exportType: 'INCREMENTAL_EXPORT',
          outputView: 'NEW_IMAGE',
        }),
      ),
    });
    s3Mock.on(GetObjectCommand, { Key: `${root}manifest-files.json` }).resolves({
      Body: body(
        JSON.stringify({
          itemCount: 1,
          md5Checksum: 'AAAA',
          dataFileS3Key: 'AWSDynamoDB/01234567890123-a1b2c3d4/data/x.json.gz',
        }),
      ),
    });
    const native = await readNativeExport(clients.s3, BUCKET, `${root}manifest-summary.json`);
    assert.equal(native.incremental, true);
    assert.deepEqual(native.files, [{ key: `${root}data/x.json.gz`, items: 1, md5: 'AAAA' }]);
  });
});

describe('policy generate covers the export and import engines', () => {
  test('backup-table-export and restore-import grant exactly their AWS actions, scoped to the table and prefix', () => {
    const { policy, notes } = generatePolicy({
      operations: ['backup-table-export', 'restore-import'],
      bucket: BUCKET,
      tables: ['T'],
      account: '123456789012',
      region: 'us-east-1',
    });
    const actions = new Set(policy.Statement.flatMap((s) => s.Action as string[]));
    for (const a of [
      'dynamodb:ExportTableToPointInTime',
      'dynamodb:DescribeExport',
      'dynamodb:DescribeContinuousBackups',
      'dynamodb:ImportTable',
      'dynamodb:DescribeImport',
      'logs:PutLogEvents',
      's3:PutObjectTagging',
    ]) {
      assert.ok(actions.has(a), a);
    }
    const exports = policy.Statement.find((s) => s.Sid === 'TableExports')!;
    assert.equal(exports.Resource, 'arn:aws:dynamodb:us-east-1:123456789012:table/T/export/*');
    const logs = policy.Statement.find((s) => s.Sid === 'ImportLogGroups')!;
    assert.equal(logs.Resource, 'arn:aws:logs:us-east-1:123456789012:log-group:/aws-dynamodb/*');
    assert.ok(notes.some((n) => /no emulator serves/.test(n)));
  });
});
