// The table commands: progress text, the backup engine setting and Back Up Table's engine pick.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DescribeContinuousBackupsCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { config, fakeApp } from '../../../helpers/fakeExtensionApp';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const settings = require('coldkeep-vscode/out/settings') as typeof import('coldkeep-vscode/out/settings');
const tableCommands =
  require('coldkeep-vscode/out/commands/tableCommands') as typeof import('coldkeep-vscode/out/commands/tableCommands');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('table progress text', () => {
  test('progress text follows the job', () => {
    const text = tableCommands.backupProgressText({
      phase: 'scan',
      table: 'T',
      items: 500,
      estimatedItems: 1000,
      uncompressedBytes: 0,
      totalSegments: 4,
      segments: [
        { segment: 0, items: 250, done: true },
        { segment: 1, items: 250, done: false },
      ],
      throttledRequests: 0,
      consumedReadUnits: 0,
    });
    assert.deepEqual(text, { message: '500 items · 1/4 segments', percent: 50 });
    assert.deepEqual(
      tableCommands.restoreProgressText({
        phase: 'restore',
        target: 'T',
        itemsWritten: 10,
        itemsExpected: 40,
        filesDone: 1,
        filesTotal: 2,
      }),
      { message: '10 of 40 items · 1/2 files', percent: 25 },
    );
  });
});

describe('table backup engine', () => {
  test('coldkeep.engine: auto by default, checked, and passed to the backup', () => {
    const s = settings.readSettings(config({}));
    assert.equal(s.engine, 'auto');
    assert.equal(
      settings.backupInputFrom(settings.readSettings(config({ engine: 'export' })), 't', 'b').engine,
      'export',
    );
    assert.throws(() => settings.readSettings(config({ engine: 'fast' })), /coldkeep\.engine.*"fast"/);
    assert.deepEqual(tableCommands.engineArgument('scan'), { engine: 'scan' });
    assert.deepEqual(tableCommands.engineArgument({ engine: 'export', incremental: true }), {
      engine: 'export',
      incremental: true,
    });
    assert.equal(tableCommands.engineArgument('fast'), undefined);
    const items = tableCommands.engineItems('scan');
    assert.deepEqual(
      items.map((i) => i.label),
      ['Scan', 'Auto', 'Export', 'Incremental export'],
    );
    assert.equal(items[0]!.description, 'coldkeep.engine setting');
  });

  test('Back Up Table asks for the engine only when the table has point-in-time recovery', async () => {
    const dynamodb = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const mock = mockClient(dynamodb);
    try {
      mock.on(DescribeContinuousBackupsCommand).resolves({
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' },
        },
      });
      const app = fakeApp({}, { dynamodb });
      const picks = fake.picks.length;
      fake.answers.push(undefined);
      assert.equal(await tableCommands.backupTableCommand(app, 'Orders'), undefined, 'Escape: no backup');
      assert.equal(fake.picks.length, picks + 1);
      assert.deepEqual(
        (fake.picks.at(-1) as { label: string }[]).map((i) => i.label),
        ['Auto', 'Scan', 'Export', 'Incremental export'],
      );
      assert.deepEqual(
        mock.calls().map((c) => c.args[0].constructor.name),
        ['DescribeContinuousBackupsCommand'],
        'nothing read from the table',
      );

      mock.reset();
      mock.on(DescribeContinuousBackupsCommand).resolves({
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'DISABLED',
          PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
        },
      });
      mock.on(DescribeTableCommand).rejects(new Error('stop here'));
      fake.messages.length = 0;
      assert.equal(await tableCommands.backupTableCommand(app, 'Orders'), undefined);
      assert.equal(fake.picks.length, picks + 1, 'no engine pick without PITR: the setting (auto) applies');
      assert.ok(mock.commandCalls(DescribeTableCommand).length >= 1, 'the backup went ahead');
      assert.match(fake.messages.at(-1)!.text, /^Backup failed/);
    } finally {
      mock.restore();
      dynamodb.destroy();
    }
  });
});
