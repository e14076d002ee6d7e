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
import { mockClient } from 'aws-sdk-client-mock';
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
    mock
      .on(ListObjectsV2Command)
      .rejects(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' }));
    tree.refresh();
    const [error] = await tree.getChildren(bucket);
    assert.equal(error?.kind, 'message');
    assert.deepEqual(await new trees.BackupsTree(() => connectionWith(new DynamoDBClient({}), s3)).getChildren(), []);
  });
});
