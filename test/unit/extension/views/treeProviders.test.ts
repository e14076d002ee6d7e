// The tables and backups tree providers, on a fake vscode and aws-sdk-client-mock clients.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { DrillRecords, newSource, readSourceStatuses, type RunRecord, ScheduleStore } from '@coldkeep/shared';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const trees =
  require('coldkeep-vscode/out/views/treeProviders') as typeof import('coldkeep-vscode/out/views/treeProviders');
/* eslint-enable @typescript-eslint/no-require-imports */

type Connection = import('coldkeep-vscode/out/connection').Connection;

describe('tree providers', () => {
  function connectionWith(dynamodb: DynamoDBClient, s3: S3Client, bucket?: string): Connection {
    return {
      label: 'default · eu-west-1',
      settings: { bucket, endpoints: {}, readFraction: 0.5, lifecycleTag: null, notifyTo: [] },
      clients: { dynamodb, s3 },
    } as unknown as Connection;
  }

  test('Tables: connection → tables with estimates; a table that cannot be described says so', async () => {
    const dynamodb = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(dynamodb);
    mock.on(ListTablesCommand).resolves({ TableNames: ['Orders', 'Secret'] });
    mock.on(DescribeTableCommand, { TableName: 'Orders' }).resolves({
      Table: {
        TableName: 'Orders',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
        ],
        BillingModeSummary: { BillingMode: 'PROVISIONED' },
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 },
        ItemCount: 42,
        TableSizeBytes: 2048,
      },
    });
    mock
      .on(DescribeTableCommand, { TableName: 'Secret' })
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    mock.on(DescribeTimeToLiveCommand).resolves({});
    const tree = new trees.TablesTree(() => connectionWith(dynamodb, new S3Client({})));
    const [root] = await tree.getChildren();
    assert.equal(root?.kind, 'connection');
    const [orders, secret] = await tree.getChildren(root);
    const item = tree.getTreeItem(orders!);
    assert.equal(item.description, '42 items · 2.05 KB');
    assert.match(String(item.tooltip), /pk \(partition key, S\), sk \(sort key, N\)/);
    assert.match(String(item.tooltip), /provisioned, 5 RCU \/ 2 WCU/);
    assert.equal(tree.getTreeItem(secret!).description, 'cannot describe');
    assert.deepEqual(
      await new trees.TablesTree(() => undefined).getChildren(),
      [],
      'nothing configured: the welcome view shows',
    );
  });

  test('Backups: bucket → table → backups; a listing error becomes a node, not a crash', async () => {
    const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(s3);
    const dir = 'coldkeep/tables/111122223333/eu-west-1/Orders/20261123T120000Z-abcd/';
    mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: `${dir}data/0000-0001.json.gz`, Size: 100 },
        { Key: `${dir}manifest.json`, Size: 10 },
        { Key: 'coldkeep/tables/111122223333/eu-west-1/Orders/20261123T130000Z-beef/data/0000-0001.json.gz', Size: 5 },
      ],
    });
    const manifest = {
      format: 'coldkeep.table-backup',
      formatVersion: 1,
      backupId: '20261123T120000Z-abcd',
      tool: { name: 'coldkeep', version: '0.1.0' },
      engine: 'scan',
      source: { account: '111122223333', region: 'eu-west-1', table: 'Orders' },
      schema: {
        tableName: 'Orders',
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        billingMode: 'PAY_PER_REQUEST',
        globalSecondaryIndexes: [],
        localSecondaryIndexes: [],
        approximateItemCount: 3,
        approximateSizeBytes: 30,
      },
      startedAt: '2026-11-23T12:00:00.000Z',
      finishedAt: '2026-11-23T12:00:01.000Z',
      itemCount: 3,
      uncompressedBytes: 300,
      bytes: 100,
      segments: { total: 1, consistentRead: false },
      files: [],
      storage: { objectLock: { mode: 'COMPLIANCE', retainUntil: '2999-01-01T00:00:00.000Z' } },
    };
    mock.on(GetObjectCommand).resolves({ Body: { transformToString: async () => JSON.stringify(manifest) } as never });
    const tree = new trees.BackupsTree(() => connectionWith(new DynamoDBClient({}), s3, 'b'));
    const [bucket] = await tree.getChildren();
    assert.equal(bucket?.kind, 'bucket');
    const level = await tree.getChildren(bucket);
    assert.deepEqual(
      level.map((n) => n.kind),
      ['backupTable', 'incomplete'],
    );
    const [backup] = await tree.getChildren(level[0]);
    assert.equal(tree.getTreeItem(backup!).contextValue, 'backup.locked');
    // With the core's status: the catalog's newest backup is the table's last good one; never drilled.
    const store = new ScheduleStore(await mkdtemp(join(tmpdir(), 'coldkeep-tree-status-')));
    const withStatus = new trees.BackupsTree(
      () => connectionWith(new DynamoDBClient({}), s3, 'b'),
      (subjects) => readSourceStatuses(store, { subjects }),
    );
    const [orders] = await withStatus.getChildren((await withStatus.getChildren())[0]);
    const ordersItem = withStatus.getTreeItem(orders!);
    assert.equal(ordersItem.description, '1 backup · never verified');
    assert.match(String(ordersItem.tooltip), /^Orders\nStatus: needs attention \(never verified\)\n/);
    assert.match(String(ordersItem.tooltip), /Last good backup: 2026-11-23 12:00 UTC/);
    mock
      .on(ListObjectsV2Command)
      .rejects(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' }));
    tree.refresh();
    const [error] = await tree.getChildren(bucket);
    assert.equal(error?.kind, 'message');
    assert.deepEqual(await new trees.BackupsTree(() => connectionWith(new DynamoDBClient({}), s3)).getChildren(), []);
  });

  test('Tables: each table shows its last verified restore and restore time, "never verified", and why a failing or overdue one is marked', async () => {
    const store = new ScheduleStore(await mkdtemp(join(tmpdir(), 'coldkeep-tree-status-')));
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    const longAgo = new Date(Date.now() - 8 * 86_400_000);
    const run = (sourceId: string, status: RunRecord['status'], finishedAt: string): RunRecord => ({
      runId: `${sourceId}-${finishedAt}`,
      sourceId,
      sourceName: sourceId,
      kind: 'table',
      trigger: 'schedule',
      startedAt: finishedAt,
      finishedAt,
      durationMs: 1,
      status,
      attempts: 1,
      ...(status === 'failed'
        ? { error: { code: 'AccessDenied', message: 'not allowed' } }
        : { result: { summary: 'ok', report: {} } }),
    });
    // Orders: backed up every hour, drilled; Logs: its last backup failed; Events: every minute, last backed up 8 days ago (due 7 days and 23 hours ago).
    const orders = await store.addSource(newSource({ kind: 'table', table: 'Orders', cron: '0 * * * *' }, longAgo));
    const logs = await store.addSource(newSource({ kind: 'table', table: 'Logs', cron: '0 * * * *' }, longAgo));
    const events = await store.addSource(newSource({ kind: 'table', table: 'Events', cron: '* * * * *' }, longAgo));
    await store.appendRun(run(orders.id, 'succeeded', new Date().toISOString()));
    await store.appendRun(run(logs.id, 'failed', new Date().toISOString()));
    await store.appendRun(run(events.id, 'succeeded', longAgo.toISOString()));
    const drills = new DrillRecords(join(store.dir, 'drills.json'));
    const drilled = {
      status: 'succeeded' as const,
      at: hourAgo,
      restoreMs: 1234,
      restorePoint: 'b-1',
      summary: 'passed',
    };
    await drills.record({ source: 'table:Orders', ...drilled });
    await drills.record({ source: 'table:Users', ...drilled });
    await drills.record({
      source: 'table:Users',
      status: 'failed',
      at: hourAgo,
      summary: '1 item differs: {"pk":"u7"}',
    });

    const dynamodb = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(dynamodb);
    mock.on(ListTablesCommand).resolves({ TableNames: ['Events', 'Logs', 'Orders', 'Plain', 'Users'] });
    mock.on(DescribeTableCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    mock.on(DescribeTableCommand, { TableName: 'Orders' }).resolves({
      Table: {
        TableName: 'Orders',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        ItemCount: 42,
        TableSizeBytes: 2048,
      },
    });
    mock.on(DescribeTableCommand, { TableName: 'Users' }).resolves({
      Table: {
        TableName: 'Users',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        ItemCount: 1,
        TableSizeBytes: 1,
      },
    });
    mock.on(DescribeTableCommand, { TableName: 'Plain' }).resolves({
      Table: {
        TableName: 'Plain',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        ItemCount: 1,
        TableSizeBytes: 1,
      },
    });
    mock.on(DescribeTableCommand, { TableName: 'Logs' }).resolves({
      Table: {
        TableName: 'Logs',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        ItemCount: 1,
        TableSizeBytes: 1,
      },
    });
    mock.on(DescribeTableCommand, { TableName: 'Events' }).resolves({
      Table: {
        TableName: 'Events',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        ItemCount: 1,
        TableSizeBytes: 1,
      },
    });
    mock.on(DescribeTimeToLiveCommand).resolves({});
    const tree = new trees.TablesTree(
      () => connectionWith(dynamodb, new S3Client({})),
      (subjects) => readSourceStatuses(store, { subjects }),
    );
    const [root] = await tree.getChildren();
    const items = Object.fromEntries(
      (await tree.getChildren(root)).map((n) => [(n as { name: string }).name, tree.getTreeItem(n)]),
    );
    const icon = (name: string) => items[name]!.iconPath as { id: string; color?: { id: string } };

    const verifiedText = /^42 items · 2\.05 KB · verified \d{4}-\d\d-\d\d \d\d:\d\d UTC, restore 1\.2 s$/;
    assert.match(String(items.Orders!.description), verifiedText);
    assert.match(String(items.Orders!.tooltip), /Status: protected/);
    assert.match(
      String(items.Orders!.tooltip),
      /Last verified restore: .*, measured restore time 1\.2 s \(backup b-1\)/,
    );
    assert.equal(icon('Orders').color, undefined, 'protected keeps the plain icon: never coloured');

    assert.match(String(items.Plain!.description), / · never verified$/);
    assert.match(String(items.Plain!.tooltip), /Last verified restore: never verified/);
    assert.equal(icon('Plain').color, undefined, 'never verified alone is said, not marked');

    assert.match(String(items.Users!.description), / · last drill failed$/);
    assert.match(String(items.Users!.tooltip), /Status: failing \(last drill failed\)\n/);
    assert.match(String(items.Users!.tooltip), /Last drill failed .*: 1 item differs: \{"pk":"u7"\}/);
    assert.match(
      String(items.Users!.tooltip),
      /Last verified restore: .*restore time 1\.2 s/,
      'the older verified restore is still given',
    );
    assert.equal(icon('Users').color?.id, 'list.errorForeground');

    assert.match(String(items.Logs!.description), / · last backup failed \(AccessDenied\)$/);
    assert.match(String(items.Logs!.tooltip), /Last backup failed .*: not allowed/);
    assert.equal(icon('Logs').color?.id, 'list.errorForeground');

    assert.match(String(items.Events!.description), / · overdue by 7 days$/);
    assert.match(String(items.Events!.tooltip), /Status: needs attention \(overdue by 7 days, never verified\)/);
    assert.equal(icon('Events').color?.id, 'list.warningForeground');
    assert.equal(icon('Events').id, 'table');
  });
});
