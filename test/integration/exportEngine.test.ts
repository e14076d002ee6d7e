// The export engine and chain restores, with the data path for real: DynamoDB's export is
// played by an aws-sdk-client-mock stub on one client instance (no emulator serves
// ExportTableToPointInTime) that writes hand-built exports, in DynamoDB's full and
// incremental formats, into s3rver; everything else — the manifest, the tags, the catalog,
// the verified download and the restore into dynalite — runs against the emulators over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type ExportTableToPointInTimeCommandInput,
  ExportTableToPointInTimeCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AwsClients,
  backupArtefact,
  type BackupReport,
  backupSummary,
  backupTable,
  type Item,
  listBackups,
  notifyJob,
  parseManifest,
  restoreSummary,
  restoreTable,
} from '@coldkeep/shared';
import {
  createTable,
  putItems,
  scanAll,
  assertSameItems,
  startTarget,
  type TestTarget,
  uniqueName,
} from '../helpers/fixture';
import { type Change, type ExportContent, writeNativeExport } from '../helpers/nativeExport';

const ACCOUNT = '123456789012';
const T0 = new Date('2026-11-20T10:00:00.000Z');
const HOUR = 3_600_000;
const at = (hours: number): Date => new Date(T0.getTime() + hours * HOUR);

const item = (k: string, v: number, extra: Item = {}): Item => ({ pk: { S: k }, v: { N: String(v) }, ...extra });
const key = (k: string): Item => ({ pk: { S: k } });

/** The table's state after each backup, and the export content that records it. */
const FULL: Item[] = [
  ...Array.from({ length: 10 }, (_, i) => item(`k${i}`, 0)),
  item('bin', 0, { b: { B: new Uint8Array([0, 1, 254, 255]) }, m: { M: { nested: { L: [{ S: 'x' }] } } } }),
];
const INC1: Change[][] = [
  [
    { keys: key('k1'), newImage: item('k1', 1), oldImage: item('k1', 0) }, // update
    { keys: key('k2'), oldImage: item('k2', 0) }, // delete
  ],
  [
    { keys: key('k10'), newImage: item('k10', 1) }, // insert
    { keys: key('k11') }, // created and deleted inside the window
  ],
];
const INC2: Change[][] = [
  [
    { keys: key('k10'), oldImage: item('k10', 1) }, // delete what inc1 inserted
    { keys: key('k3'), newImage: item('k3', 2, { s: { SS: ['a', 'b'] } }), oldImage: item('k3', 0) },
    { keys: key('k1'), oldImage: item('k1', 1) }, // delete what inc1 updated
    { keys: key('k2'), newImage: item('k2', 2) }, // back after its delete
  ],
];

/** The state a chain must end with: the full backup, then each change in order. */
function applyChanges(base: Item[], ...increments: Change[][][]): Item[] {
  const state = new Map(base.map((i) => [i.pk!.S!, i]));
  for (const files of increments) {
    for (const c of files.flat()) {
      if (c.newImage) state.set(c.keys.pk!.S!, c.newImage);
      else state.delete(c.keys.pk!.S!);
    }
  }
  return [...state.values()];
}

describe('export engine and incremental chains against s3rver and dynalite', () => {
  let target: TestTarget;
  let exporting: AwsClients;
  const table = uniqueName('Orders');
  const tableArn = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${table}`;
  const exportRequests: ExportTableToPointInTimeCommandInput[] = [];
  const queue: { content: ExportContent; time: Date }[] = [];
  const summaries = new Map<string, { key: string; time: Date }>();
  let fullReport: BackupReport | undefined;

  before(async () => {
    target = await startTarget();
    exporting = new AwsClients(target.settings);
    // Only this client instance is stubbed: the restore's clients reach dynalite for real.
    const ddb = mockClient(exporting.dynamodb);
    ddb.on(DescribeTableCommand).resolves({
      Table: {
        TableName: table,
        TableArn: tableArn,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        ItemCount: 11,
        TableSizeBytes: 50 * 1024 ** 3,
      },
    });
    ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    ddb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          EarliestRestorableDateTime: at(-48),
          LatestRestorableDateTime: at(3),
        },
      },
    });
    ddb.on(ExportTableToPointInTimeCommand).callsFake(async (input: ExportTableToPointInTimeCommandInput) => {
      exportRequests.push(input);
      const next = queue.shift()!;
      const exportId = `0173${String(exportRequests.length).padStart(10, '0')}-ab12cd34`;
      const written = await writeNativeExport(
        target.clients.s3,
        input.S3Bucket!,
        input.S3Prefix!,
        exportId,
        tableArn,
        next.content,
        next.time,
      );
      summaries.set(written.exportArn, { key: written.summaryKey, time: next.time });
      return { ExportDescription: { ExportArn: written.exportArn, ExportStatus: 'IN_PROGRESS' } };
    });
    let polls = 0;
    ddb.on(DescribeExportCommand).callsFake((input: { ExportArn: string }) => {
      polls++;
      const done = summaries.get(input.ExportArn)!;
      return {
        ExportDescription: {
          ExportArn: input.ExportArn,
          // The first poll of each export still sees it running.
          ExportStatus: polls % 2 === 1 ? 'IN_PROGRESS' : 'COMPLETED',
          ExportManifest: done.key,
          ExportTime: done.time,
          BilledSizeBytes: 1234,
        },
      };
    });
  });
  after(async () => {
    exporting?.destroy();
    await target?.stop();
  });

  test('full + two incrementals: manifests, tags and the catalog chain; the chain restore ends with exactly the final state', async () => {
    const common = { table, bucket: target.bucket, engine: 'export' as const, pollIntervalMs: 5 };
    queue.push({ content: { type: 'full', files: [FULL.slice(0, 6), FULL.slice(6)] }, time: T0 });
    const full = await backupTable(exporting, { ...common, at: T0, now: () => at(0.1) });
    fullReport = full;
    assert.equal(full.engine, 'export');
    assert.equal(full.kind, 'full');
    assert.equal(full.itemCount, FULL.length);
    assert.equal(full.files, 2);
    assert.ok(full.bytes > 0);

    queue.push({
      content: { type: 'incremental', view: 'NEW_AND_OLD_IMAGES', files: INC1, from: T0, to: at(1) },
      time: at(1),
    });
    const inc1 = await backupTable(exporting, { ...common, incremental: true, at: at(1), now: () => at(1.1) });
    queue.push({
      content: { type: 'incremental', view: 'NEW_AND_OLD_IMAGES', files: INC2, from: at(1), to: at(2) },
      time: at(2),
    });
    const inc2 = await backupTable(exporting, {
      table,
      bucket: target.bucket,
      incremental: true,
      at: at(2),
      pollIntervalMs: 5,
      now: () => at(2.1),
    });
    assert.equal(inc1.kind, 'incremental');
    assert.equal(inc1.parentBackupId, full.backupId);
    assert.equal(inc2.parentBackupId, inc1.backupId);
    assert.equal(inc2.itemCount, 4);

    // The export went under each backup's data/ prefix, as full, then incremental windows that chain.
    assert.equal(exportRequests[0]!.S3Prefix, `${full.uri.replace(`s3://${target.bucket}/`, '')}data`);
    assert.equal(exportRequests[0]!.ExportType, 'FULL_EXPORT');
    assert.deepEqual(exportRequests[0]!.ExportTime, T0);
    assert.deepEqual(exportRequests[1]!.IncrementalExportSpecification, {
      ExportFromTime: T0,
      ExportToTime: at(1),
      ExportViewType: 'NEW_AND_OLD_IMAGES',
    });
    assert.deepEqual(exportRequests[2]!.IncrementalExportSpecification?.ExportFromTime, at(1));

    // Coldkeep's manifest: schema, counts and md5s from the export's manifests, the parent recorded.
    const manifestText = await (
      await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: inc1.manifestKey }))
    ).Body!.transformToString();
    const manifest = parseManifest(manifestText, inc1.manifestKey);
    assert.equal(manifest.engine, 'export');
    assert.deepEqual(manifest.parent, { backupId: full.backupId, pointInTime: T0.toISOString() });
    assert.equal(manifest.export?.toTime, at(1).toISOString());
    assert.equal(manifest.files.length, 2);
    assert.ok(manifest.files.every((f) => f.md5 && f.key.startsWith('data/AWSDynamoDB/')));
    assert.deepEqual(manifest.schema.keySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);

    // The exported data objects carry the lifecycle tag.
    const dataKey = inc1.manifestKey.replace(/manifest\.json$/, '') + manifest.files[0]!.key;
    const tags = await target.clients.s3.send(new GetObjectTaggingCommand({ Bucket: target.bucket, Key: dataKey }));
    assert.deepEqual(tags.TagSet, [{ Key: 'coldkeep-lifecycle', Value: 'archive' }]);

    // The catalog shows the chain.
    const { backups, incomplete } = await listBackups(target.clients.s3, { bucket: target.bucket, table });
    assert.deepEqual(incomplete, []);
    const newest = backups.find((b) => b.backupId === inc2.backupId)!;
    assert.deepEqual(newest.chain, [full.backupId, inc1.backupId, inc2.backupId]);
    assert.equal(backups.find((b) => b.backupId === full.backupId)!.kind, 'full');

    // Restore the newest: full, then each incremental in order, deletes included.
    const restored = uniqueName('Restored');
    const report = await restoreTable(target.clients, {
      source: { bucket: target.bucket, table, backupId: 'latest' },
      target: restored,
    });
    const expected = applyChanges(FULL, INC1, INC2);
    assertSameItems(await scanAll(target.clients.dynamodb, restored), expected, 'the chain restore');
    assert.deepEqual(
      report.steps.map((s) => [s.backupId, s.kind, s.puts, s.deletes]),
      [
        [full.backupId, 'full', 11, 0],
        [inc1.backupId, 'incremental', 2, 2],
        [inc2.backupId, 'incremental', 2, 2],
      ],
    );
    assert.equal(report.itemsDeleted, 4);
    assert.deepEqual(
      restoreSummary(report).facts.find(([label]) => label === 'Chain applied'),
      ['Chain applied', `${full.backupId} (full) → ${inc1.backupId} (incremental) → ${inc2.backupId} (incremental)`],
    );
    assert.equal(report.expectedCount, expected.length);
    assert.equal(report.countedItems, expected.length);
    assert.ok(report.createdTable);

    // Restoring the middle of the chain stops there.
    const middle = uniqueName('Middle');
    await restoreTable(target.clients, {
      source: { bucket: target.bucket, table, backupId: inc1.backupId },
      target: middle,
    });
    assertSameItems(await scanAll(target.clients.dynamodb, middle), applyChanges(FULL, INC1), 'restore of inc1');
  });

  test('an export backup is notified like any other: the summary names the engine, the link bundles the exported files', async () => {
    const report = fullReport!;
    const summary = backupSummary(report);
    assert.deepEqual(
      summary.facts.find(([label]) => label === 'Engine'),
      ['Engine', 'DynamoDB export'],
    );
    const notification = await notifyJob(
      exporting,
      { to: ['ops@example.com'], from: 'coldkeep@example.com' },
      summary,
      () => backupArtefact(exporting.s3, report),
    );
    if (target.emulatorPid !== undefined) assert.equal(notification.sent, true, JSON.stringify(notification.error));
    // Two exported files → the download bundle beside them: their bytes, one gzip member after another.
    assert.equal(
      notification.link?.key,
      `${report.uri.slice(`s3://${target.bucket}/`.length)}download/${table}.json.gz`,
    );
    const bundle = await (
      await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: notification.link!.key }))
    ).Body!.transformToByteArray();
    const lines = gunzipSync(Buffer.from(bundle)).toString().trim().split('\n');
    assert.equal(lines.length, FULL.length);
    assert.ok(lines.every((l) => l.startsWith('{"Item":')));
  });

  test('a damaged incremental file is caught by its MD5 before any of its records is applied', async () => {
    const { backups } = await listBackups(target.clients.s3, { bucket: target.bucket, table });
    const newest = backups[0]!;
    assert.equal(newest.kind, 'incremental');
    const manifestText = await (
      await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: newest.manifestKey }))
    ).Body!.transformToString();
    const manifest = parseManifest(manifestText, newest.manifestKey);
    const damagedKey = newest.manifestKey.replace(/manifest\.json$/, '') + manifest.files[0]!.key;
    const original = await (
      await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: damagedKey }))
    ).Body!.transformToByteArray();

    await target.clients.s3.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: damagedKey, Body: gzipSync('{"Keys":{"pk":{"S":"k0"}}}\n') }),
    );
    try {
      // Verify first (the default): the damaged link of the chain is found before any step is applied.
      const into = uniqueName('Damaged');
      await assert.rejects(
        restoreTable(target.clients, { source: { bucket: target.bucket, table, backupId: 'latest' }, target: into }),
        (err: { code?: string; details?: { files?: { step: number; outcome: string }[] } }) => {
          assert.equal(err.code, 'ChecksumMismatch');
          const files = err.details?.files ?? [];
          assert.ok(files.every((f) => f.outcome === 'not-written' || f.outcome === 'damaged'));
          assert.ok(files.some((f) => f.step === 2 && f.outcome === 'damaged'));
          return true;
        },
      );
      await assert.rejects(
        target.clients.dynamodb.send(new DescribeTableCommand({ TableName: into })),
        /ResourceNotFound|not found/i,
      );

      // Verified per file: the full backup and the first incremental are applied; nothing of the damaged step is.
      const perFile = uniqueName('Damaged');
      await assert.rejects(
        restoreTable(target.clients, {
          source: { bucket: target.bucket, table, backupId: 'latest' },
          target: perFile,
          verify: 'per-file',
        }),
        (err: { code?: string; details?: { files?: { step: number; outcome: string }[] } }) => {
          assert.equal(err.code, 'ChecksumMismatch');
          const files = err.details?.files ?? [];
          assert.ok(files.filter((f) => f.step < 2).every((f) => f.outcome === 'written'));
          assert.ok(files.filter((f) => f.step === 2).every((f) => f.outcome !== 'written'));
          return true;
        },
      );
      // k0 would have been deleted by the forged record: it is still there.
      const items = await scanAll(target.clients.dynamodb, perFile);
      assert.ok(items.some((i) => i.pk?.S === 'k0'));
    } finally {
      await target.clients.s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: damagedKey, Body: original }));
    }
  });

  test('a native incremental export (NEW_IMAGE view) restored by URI applies its puts and deletes to an existing table', async () => {
    const existing = uniqueName('Existing');
    await createTable(target.clients.dynamodb, { TableName: existing });
    await putItems(target.clients.dynamodb, existing, FULL);
    const written = await writeNativeExport(
      target.clients.s3,
      target.bucket,
      'native-exports',
      '01739999999999-ffff0000',
      tableArn,
      { type: 'incremental', view: 'NEW_IMAGE', files: INC1, from: T0, to: at(1) },
      at(1),
    );
    const report = await restoreTable(target.clients, {
      source: { uri: `s3://${target.bucket}/${written.summaryKey.replace(/manifest-summary\.json$/, '')}` },
      target: existing,
      overwrite: true,
    });
    assert.equal(report.kind, 'native-export');
    assert.equal(report.steps[0]!.kind, 'incremental');
    assert.equal(report.itemsDeleted, 2);
    assertSameItems(await scanAll(target.clients.dynamodb, existing), applyChanges(FULL, INC1), 'native incremental');
  });
});
