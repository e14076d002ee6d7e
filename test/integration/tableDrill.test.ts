// Restore drills of table backups (issue 20), against dynalite and s3rver over HTTP, faults
// through the fault proxy: a good backup passes, an item the restore wrote other than the
// backup holds fails the drill and is named, and a drill cut by a fault or a cancel still
// deletes its scratch table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteTableCommand,
  DescribeImportCommand,
  DescribeTableCommand,
  ImportTableCommand,
  type ImportTableCommandInput,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  ScanCommand,
  TagResourceCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AwsClients,
  backupTable,
  CancelledError,
  type ColdkeepError,
  drillTable,
  type Item,
  type RunningEmulators,
  SCRATCH_PREFIX,
  SCRATCH_TAG,
  startEmulators,
} from '@coldkeep/shared';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { createBucket, createTable, embeddedOnly, putItems, scanAll, uniqueName } from '../helpers/fixture';

embeddedOnly(describe)('table restore drills', () => {
  let emulators: RunningEmulators;
  let dynamoProxy: FaultProxy;
  let clients: AwsClients;
  let direct: AwsClients;
  let bucket: string;

  before(async () => {
    emulators = await startEmulators();
    dynamoProxy = await startFaultProxy(emulators.endpoints.dynamodb);
    direct = new AwsClients(emulators.settings);
    clients = new AwsClients({
      ...emulators.settings,
      endpoints: { dynamodb: dynamoProxy.url, s3: emulators.endpoints.s3 },
      maxAttempts: 1,
    });
    bucket = await createBucket(direct.s3, uniqueName('drills'));
  });
  after(async () => {
    clients?.destroy();
    direct?.destroy();
    await dynamoProxy?.stop();
    await emulators?.stop();
  });

  async function backedUp(count: number): Promise<{ table: string; items: Item[] }> {
    const table = uniqueName('drilled');
    const items = Array.from({ length: count }, (_, i) => ({ pk: { S: `k${i}` }, v: { N: String(i) } }));
    await createTable(direct.dynamodb, { TableName: table });
    await putItems(direct.dynamodb, table, items);
    await backupTable(direct, { table, bucket, segments: 2 });
    return { table, items };
  }

  async function scratchTables(table: string): Promise<string[]> {
    const names: string[] = [];
    let start: string | undefined;
    do {
      const page = await direct.dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
      names.push(...(page.TableNames ?? []).filter((n) => n.startsWith(`${SCRATCH_PREFIX}${table}-`)));
      start = page.LastEvaluatedTableName;
    } while (start);
    return names;
  }

  test('a good backup passes: every item compared, the count matches, the time measured, the scratch table deleted', async () => {
    const { table, items } = await backedUp(300);
    const phases = new Set<string>();
    const report = await drillTable(clients, { table, bucket }, { onProgress: (p) => phases.add(p.phase) });
    assert.equal(report.status, 'succeeded', report.problems.join('\n'));
    assert.equal(report.itemsExpected, items.length);
    assert.equal(report.itemsInBackup, items.length);
    assert.equal(report.itemsCompared, items.length);
    assert.equal(report.mismatches, 0);
    assert.deepEqual(report.firstMismatches, []);
    assert.ok(report.scratchTable.startsWith(`${SCRATCH_PREFIX}${table}-`), report.scratchTable);
    assert.ok(report.restoreMs > 0 && report.restoreMs <= report.durationMs);
    assert.equal(report.scratchDeleted, true);
    assert.deepEqual([...phases], ['plan', 'create', 'restore', 'compare', 'cleanup']);
    assert.deepEqual(await scratchTables(table), []);
  });

  test('--keep leaves the scratch table, on demand and tagged as a drill of its table', async () => {
    const { table } = await backedUp(40);
    const report = await drillTable(clients, { table, bucket, keep: true });
    assert.equal(report.status, 'succeeded');
    assert.equal(report.scratchDeleted, false);
    assert.deepEqual(await scratchTables(table), [report.scratchTable]);
    const { Table } = await direct.dynamodb.send(new DescribeTableCommand({ TableName: report.scratchTable }));
    assert.equal(Table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    const { Tags } = await direct.dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: Table!.TableArn! }));
    const tags = Object.fromEntries((Tags ?? []).map((t) => [t.Key, t.Value]));
    assert.equal(tags[SCRATCH_TAG], 'scratch');
    assert.equal(tags['coldkeep:drill-of'], table);
    assert.match(report.warnings.join('\n'), /was kept, as asked/);
  });

  test('an item written other than the backup holds (checksums and counts all pass) fails the drill and is named', async () => {
    const { table } = await backedUp(120);
    // The first put of the restore reaches DynamoDB with an attribute added on the way.
    dynamoProxy.setRules([{ match: { operation: 'BatchWriteItem' }, action: { kind: 'changeItem' }, times: 1 }]);
    const report = await drillTable(clients, { table, bucket });
    dynamoProxy.setRules([]);
    assert.equal(dynamoProxy.stats.injected.changeItem, 1);
    assert.equal(report.status, 'failed');
    assert.equal(report.itemsCompared, 120);
    assert.equal(report.mismatches, 1);
    assert.equal(report.firstMismatches.length, 1);
    assert.equal(report.firstMismatches[0]!.kind, 'changed');
    assert.match(report.firstMismatches[0]!.key, /^\{"pk":"k\d+"\}$/);
    assert.match(report.problems.join('\n'), /1 item\(s\) differ from the backup's files: \{"pk":"k\d+"\} \(changed\)/);
    assert.equal(report.scratchDeleted, true);
    assert.deepEqual(await scratchTables(table), []);
  });

  test('a drill cut by a fault mid-restore still deletes its scratch table, and says so', async () => {
    const { table } = await backedUp(200);
    dynamoProxy.setRules([
      {
        match: { operation: 'BatchWriteItem' },
        action: { kind: 'dynamoError', errorType: 'AccessDeniedException', message: 'not allowed' },
        after: 2,
        times: 1,
      },
    ]);
    const err = (await drillTable(clients, { table, bucket }).then(
      () => assert.fail('the drill should fail'),
      (e: unknown) => e,
    )) as ColdkeepError;
    dynamoProxy.setRules([]);
    assert.equal(dynamoProxy.stats.injected.dynamoError, 1);
    assert.match(err.message, /The scratch table coldkeep-drill-\S+ was deleted\./);
    assert.equal(err.details?.['scratchDeleted'], true);
    assert.deepEqual(await scratchTables(table), []);
  });

  test('a cancelled drill deletes its scratch table too', async () => {
    const { table } = await backedUp(200);
    const controller = new AbortController();
    const err = await drillTable(
      clients,
      { table, bucket },
      { signal: controller.signal, onProgress: (p) => p.phase === 'restore' && controller.abort() },
    ).then(
      () => assert.fail('the drill should be cancelled'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CancelledError, String(err));
    assert.deepEqual(await scratchTables(table), []);
  });

  // dynalite has no ImportTable: DynamoDB's side is on request shapes (aws-sdk-client-mock on
  // this client only), the backup's files are read from s3rver for the compare as in any drill.
  async function importDrill(final: Record<string, unknown>) {
    const { table } = await backedUp(30);
    const items = await scanAll(direct.dynamodb, table);
    const mocked = new AwsClients(emulators.settings);
    const ddb = mockClient(mocked.dynamodb);
    const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/scratch';
    ddb
      .on(DescribeTableCommand)
      .rejectsOnce(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }))
      .resolves({ Table: { TableArn: arn, TableStatus: 'ACTIVE' } });
    ddb
      .on(ImportTableCommand)
      .resolves({ ImportTableDescription: { ImportArn: `${arn}/import/1`, ImportStatus: 'IN_PROGRESS' } });
    ddb.on(DescribeImportCommand).resolves({ ImportTableDescription: { ImportArn: `${arn}/import/1`, ...final } });
    ddb.on(TagResourceCommand).resolves({});
    ddb.on(ScanCommand).resolves({ Items: items });
    ddb.on(DeleteTableCommand).resolves({});
    const outcome = await drillTable(mocked, { table, bucket, engine: 'import', pollIntervalMs: 1 }).then(
      (report) => ({ report }),
      (error: unknown) => ({ error: error as ColdkeepError }),
    );
    mocked.destroy();
    const importInput = ddb.commandCalls(ImportTableCommand)[0]?.args[0].input as ImportTableCommandInput | undefined;
    const deleted = ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input.TableName);
    const tagged = ddb.commandCalls(TagResourceCommand).map((c) => c.args[0].input);
    return { table, outcome, importInput, deleted, tagged, arn };
  }

  test('--engine import: ImportTable makes the scratch table on demand; it is tagged, compared and deleted', async () => {
    const run = await importDrill({
      ImportStatus: 'COMPLETED',
      ImportedItemCount: 30,
      ProcessedItemCount: 30,
      ErrorCount: 0,
    });
    assert.ok('report' in run.outcome, String('error' in run.outcome && run.outcome.error));
    const { report } = run.outcome;
    const name = run.importInput?.TableCreationParameters?.TableName ?? '';
    assert.ok(name.startsWith(`${SCRATCH_PREFIX}${run.table}-`), name);
    assert.equal(run.importInput?.TableCreationParameters?.BillingMode, 'PAY_PER_REQUEST');
    assert.equal(run.importInput?.S3BucketSource?.S3Bucket, bucket);
    assert.equal(report.engine, 'import');
    assert.equal(report.scratchTable, name);
    assert.equal(report.status, 'succeeded', report.problems.join('\n'));
    assert.equal(report.itemsCompared, 30);
    assert.deepEqual(
      run.tagged.map((t) => [t.ResourceArn, t.Tags?.find((x) => x.Key === SCRATCH_TAG)?.Value]),
      [[run.arn, 'scratch']],
    );
    assert.deepEqual(run.deleted, [name]);
  });

  test('--engine import: a failed import still deletes the scratch table', async () => {
    const run = await importDrill({ ImportStatus: 'FAILED', FailureCode: 'S3AccessDenied', FailureMessage: 'denied' });
    assert.ok('error' in run.outcome, 'the drill should fail');
    assert.equal(run.outcome.error.code, 'ImportFailed');
    assert.match(run.outcome.error.message, /was deleted/);
    assert.deepEqual(run.deleted, [run.importInput?.TableCreationParameters?.TableName]);
  });
});
