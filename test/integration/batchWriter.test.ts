// BatchWriter (shared/src/tables/restore/batchWriter.ts) against dynalite through the fault proxy:
// dynalite never throttles nor leaves items unprocessed, so the proxy does both. What is checked
// is the honesty of `written`: it counts the items DynamoDB acknowledged, each once, and after a
// failure it says exactly what the table holds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AwsClients, ColdkeepError, type Item, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { BatchWriter, type BatchWriterOptions } from '@coldkeep/shared/dist/tables/restore/batchWriter';
import { type FaultProxy, type FaultRule, startFaultProxy } from '../helpers/faultProxy';
import { createTable, embeddedOnly, scanAll, uniqueName } from '../helpers/fixture';

/** Backoff in milliseconds, so that retries cost nothing; the attempts are what is counted. */
const QUICK = { baseMs: 1, maxMs: 4, maxAttempts: 12 };

const itemNo = (i: number): Item => ({ pk: { S: `i${String(i).padStart(3, '0')}` }, n: { N: String(i) } });
const keysOf = (items: Item[]): string[] => items.map((item) => item['pk']?.S ?? '?').sort();
const range = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

// The fault proxy fronts only a loopback HTTP endpoint: on another target these are not registered.
embeddedOnly(describe)('BatchWriter against dynalite, through the fault proxy', () => {
  let emulators: RunningEmulators;
  let proxy: FaultProxy;
  let clients: AwsClients;
  let direct: AwsClients;

  before(async () => {
    emulators = await startEmulators();
    proxy = await startFaultProxy(emulators.endpoints.dynamodb);
    direct = new AwsClients(emulators.settings);
    // The SDK's own retries are off: every fault reaches BatchWriter's.
    clients = new AwsClients({ ...emulators.settings, endpoints: { dynamodb: proxy.url }, maxAttempts: 1 });
  });
  after(async () => {
    clients?.destroy();
    direct?.destroy();
    await proxy?.stop();
    await emulators?.stop();
  });

  /** A new table, the proxy's rules and counters reset, and a writer to it that records what it is told. */
  async function writerFor(rules: FaultRule[], options: Partial<BatchWriterOptions> = {}) {
    const table = uniqueName('batch');
    await createTable(direct.dynamodb, { TableName: table });
    proxy.setRules(rules);
    const earlier = proxy.stats.requests.length;
    const told = { written: [] as number[], throttles: 0 };
    const writer = new BatchWriter(clients.dynamodb, {
      table,
      maxInFlight: 1,
      backoff: QUICK,
      onWritten: (count) => told.written.push(count),
      onThrottle: () => told.throttles++,
      ...options,
    });
    const batchRequests = (): number =>
      proxy.stats.requests.slice(earlier).filter((r) => r.operation === 'BatchWriteItem').length;
    return { table, writer, told, batchRequests };
  }

  test('UnprocessedItems are sent again until written; each item is counted once, when acknowledged', async () => {
    const { table, writer, told, batchRequests } = await writerFor([
      { match: { operation: 'BatchWriteItem' }, action: { kind: 'unprocessedItems', fraction: 0.5 }, times: 3 },
    ]);
    for (const i of range(60)) await writer.put(itemNo(i));
    await writer.flush();

    // 25 items: 13 written and 12 back, 6 of those written, then 3, then the last 3; then 25 and 10.
    assert.deepEqual(told.written, [13, 6, 3, 3, 25, 10]);
    assert.equal(writer.written, 60);
    assert.equal(told.throttles, 3, 'each answer with UnprocessedItems is a throttle');
    assert.equal(batchRequests(), 6);
    assert.equal(proxy.stats.injected.unprocessedItems, 3);
    const stored = await scanAll(direct.dynamodb, table);
    assert.deepEqual(keysOf(stored), keysOf(range(60).map(itemNo)));
    assert.deepEqual(
      stored.map((item) => Number(item['n']?.N)).sort((a, b) => a - b),
      range(60),
    );
  });

  test('throttled requests are retried with backoff; the count stays exact', async () => {
    const { table, writer, told, batchRequests } = await writerFor([
      { match: { operation: 'BatchWriteItem' }, action: { kind: 'dynamoThrottle' }, times: 2 },
      {
        match: { operation: 'BatchWriteItem' },
        action: { kind: 'dynamoThrottle', errorType: 'ThrottlingException' },
        after: 3,
      },
    ]);
    for (const i of range(30)) await writer.put(itemNo(i));
    await writer.flush();

    assert.deepEqual(told.written, [25, 5]);
    assert.equal(writer.written, 30);
    assert.equal(told.throttles, 3);
    assert.equal(batchRequests(), 5, 'two throttled, one written; one throttled, one written');
    assert.equal(proxy.stats.injected.dynamoThrottle, 3);
    assert.equal((await scanAll(direct.dynamodb, table)).length, 30);
  });

  test('when the retries run out, the error names what stayed unprocessed and `written` what the table holds', async () => {
    const { table, writer, told } = await writerFor(
      [{ match: { operation: 'BatchWriteItem' }, action: { kind: 'unprocessedItems', fraction: 0.5 }, times: 100 }],
      { backoff: { ...QUICK, maxAttempts: 3 } },
    );
    for (const i of range(25)) await writer.put(itemNo(i));
    const failure = await writer.flush().then(
      () => assert.fail('the flush must fail'),
      (err: unknown) => err,
    );

    assert.ok(failure instanceof ColdkeepError);
    assert.equal(failure.code, 'Throttled');
    assert.deepEqual(failure.details, { unprocessed: 3 });
    assert.match(failure.message, /^3 items stayed unprocessed by batch-\w+ after 3 attempts\.$/);
    assert.deepEqual(told.written, [13, 6, 3]);
    assert.equal(writer.written, 22);
    assert.equal((await scanAll(direct.dynamodb, table)).length, 22);
  });

  test('a failure while a request is in flight: settle() waits for it, and `written` is what the table holds', async () => {
    const { table, writer, told, batchRequests } = await writerFor(
      [
        // The first request to arrive lands at once, but its answer comes back late.
        { match: { operation: 'BatchWriteItem' }, action: { kind: 'delayAnswer', ms: 1500 } },
        // The second to arrive is refused meanwhile.
        {
          match: { operation: 'BatchWriteItem' },
          action: { kind: 'dynamoError', errorType: 'AccessDeniedException' },
          after: 1,
        },
      ],
      { maxInFlight: 2 },
    );
    const failure = await (async () => {
      for (const i of range(75)) await writer.put(itemNo(i));
      await writer.flush();
    })().then(
      () => assert.fail('the writes must fail'),
      (err: unknown) => err,
    );
    assert.ok(failure instanceof ColdkeepError);
    assert.equal(failure.code, 'AccessDenied');
    assert.equal(writer.written, 0, 'the first request is not acknowledged yet');

    await writer.settle();
    assert.equal(writer.written, 25);
    assert.deepEqual(told.written, [25]);
    assert.equal(batchRequests(), 2, 'nothing is sent after the failure');
    // The two requests race to the proxy: whichever arrives first is the one that lands.
    const held = keysOf(await scanAll(direct.dynamodb, table));
    const firstBatch = keysOf(range(25).map(itemNo));
    const secondBatch = keysOf(range(25).map((i) => itemNo(25 + i)));
    assert.ok(
      [firstBatch, secondBatch].some((batch) => JSON.stringify(batch) === JSON.stringify(held)),
      `the table holds exactly one batch of 25, the acknowledged one: ${held.join(' ')}`,
    );
  });
});
