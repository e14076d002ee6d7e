// The extension's Drill Table: a real restore drill on the emulators (dynalite and s3rver over HTTP)
// through the application layer, kept in the drill records, after which the Tables view shows the
// table verified with its measured restore time; a drill the fault proxy makes fail shows red.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AwsClients,
  backupTable,
  DrillRecords,
  durationText,
  MemorySecretStore,
  readSourceStatuses,
  type RunningEmulators,
  ScheduleStore,
  startEmulators,
} from '@coldkeep/shared';
import { installFakeVscode } from '../helpers/fakeVscode';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { createBucket, createTable, embeddedOnly, putItems, uniqueName } from '../helpers/fixture';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const settings = require('coldkeep-vscode/out/settings') as typeof import('coldkeep-vscode/out/settings');
const drillCommands =
  require('coldkeep-vscode/out/commands/drillCommands') as typeof import('coldkeep-vscode/out/commands/drillCommands');
const connectionModule = require('coldkeep-vscode/out/connection') as typeof import('coldkeep-vscode/out/connection');
const trees =
  require('coldkeep-vscode/out/views/treeProviders') as typeof import('coldkeep-vscode/out/views/treeProviders');
/* eslint-enable @typescript-eslint/no-require-imports */

embeddedOnly(describe)('extension Drill Table, on the emulators', () => {
  let emulators: RunningEmulators;
  let proxy: FaultProxy;
  let direct: AwsClients;
  let bucket: string;
  const savedDir = process.env.COLDKEEP_SCHEDULE_DIR;

  before(async () => {
    emulators = await startEmulators();
    proxy = await startFaultProxy(emulators.endpoints.dynamodb);
    direct = new AwsClients(emulators.settings);
    bucket = await createBucket(direct.s3, uniqueName('ext-drills'));
    // The extension reads and writes the schedule folder the CLI and the desktop app share: a temp one here.
    process.env.COLDKEEP_SCHEDULE_DIR = await mkdtemp(join(tmpdir(), 'coldkeep-ext-drill-'));
  });
  after(async () => {
    if (savedDir === undefined) delete process.env.COLDKEEP_SCHEDULE_DIR;
    else process.env.COLDKEEP_SCHEDULE_DIR = savedDir;
    direct?.destroy();
    await proxy?.stop();
    await emulators?.stop();
  });

  async function backedUp(): Promise<string> {
    const table = uniqueName('ext-drilled');
    await createTable(direct.dynamodb, { TableName: table });
    await putItems(
      direct.dynamodb,
      table,
      Array.from({ length: 40 }, (_, i) => ({ pk: { S: `d${i}` }, v: { N: String(i) } })),
    );
    await backupTable(direct, { table, bucket });
    return table;
  }

  /** The extension's app as the drill command sees it, on the emulators (DynamoDB through the fault proxy). */
  function appOn() {
    const values: Record<string, unknown> = { bucket };
    const connection = new connectionModule.Connection(
      settings.readSettings({ get: <T>(key: string) => values[key] as T | undefined }),
      new MemorySecretStore(),
      { askCode: async () => undefined },
      {},
      { ...emulators.settings, endpoints: { ...emulators.settings.endpoints, dynamodb: proxy.url } },
    );
    const lines: string[] = [];
    const app = {
      connection: () => connection,
      awsConnection: async () => connection,
      viewConnection: () => connection,
      output: { appendLine: (l: string) => lines.push(l), show: () => undefined },
      refreshViews: () => undefined,
    } as never;
    const tree = new trees.TablesTree(
      () => connection,
      (subjects) => readSourceStatuses(new ScheduleStore(), { subjects }),
    );
    return { app, connection, lines, tree };
  }

  async function tableItem(tree: InstanceType<typeof trees.TablesTree>, table: string) {
    const [root] = await tree.getChildren();
    const node = (await tree.getChildren(root)).find((n) => n.kind === 'table' && n.name === table)!;
    return tree.getTreeItem(node);
  }

  test('a drill that passes: the report, the record, and the Tables view says verified with the restore time', async () => {
    const table = await backedUp();
    const { app, connection, lines, tree } = appOn();
    try {
      const before = await tableItem(tree, table);
      assert.match(String(before.description), / · never verified$/);

      const report = await drillCommands.drillTableCommand(app, table);
      assert.ok(report, 'the command returns the drill report');
      assert.equal(report.status, 'succeeded');
      assert.equal(report.itemsCompared, 40);
      assert.equal(report.scratchDeleted, true);
      assert.match(fake.messages.at(-1)!.text, new RegExp(`^Drill of ${table} passed`));
      assert.match(lines.join('\n'), /40 items compared, 0 mismatches; scratch table deleted/);

      const record = await new DrillRecords(join(process.env.COLDKEEP_SCHEDULE_DIR!, 'drills.json')).status(
        `table:${table}`,
      );
      assert.equal(record.lastVerified?.restoreMs, report.restoreMs);
      const after = await tableItem(tree, table);
      assert.ok(
        String(after.description).endsWith(`, restore ${durationText(report.restoreMs)}`),
        String(after.description),
      );
      assert.match(String(after.description), / · verified \d{4}-\d\d-\d\d \d\d:\d\d UTC, /);
      assert.match(
        String(after.tooltip),
        new RegExp(
          `measured restore time ${durationText(report.restoreMs).replace('.', '\\.')} \\(backup ${report.backupId}\\)`,
        ),
      );
      assert.equal((after.iconPath as { color?: unknown }).color, undefined);
    } finally {
      connection.dispose();
    }
  });

  test('a drill whose restore differs from the backup fails (DrillFailed, the key named) and the table shows red, saying why', async () => {
    const table = await backedUp();
    const { app, connection, lines, tree } = appOn();
    try {
      proxy.setRules([{ match: { operation: 'BatchWriteItem' }, action: { kind: 'changeItem' }, times: 1 }]);
      fake.messages.length = 0;
      const report = await drillCommands.drillTableCommand(app, table);
      assert.equal(report, undefined);
      assert.match(fake.messages.at(-1)!.text, /^Restore drill failed: The drill of .* failed/);
      assert.match(lines.join('\n'), /Mismatch \(changed\): \{"pk":"d\d+"\}/);
      const item = await tableItem(tree, table);
      assert.match(String(item.description), / · last drill failed$/);
      assert.match(String(item.tooltip), /Status: failing \(last drill failed, never verified\)/);
      assert.equal((item.iconPath as { color?: { id: string } }).color?.id, 'list.errorForeground');
    } finally {
      proxy.setRules([]);
      connection.dispose();
    }
  });
});
