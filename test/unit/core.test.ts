// Unit tests of the core's pure parts: layout, backup ids, item lines, capacity limiting,
// segment planning, error mapping, manifest parsing, settings and the worker pool.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import {
  AwsClients,
  type BackupLocation,
  type BackupManifest,
  backupDir,
  backupIdTime,
  CancelledError,
  CapacityLimiter,
  choosePageLimit,
  chooseTotalSegments,
  ColdkeepError,
  commonClientConfig,
  dataFileKey,
  endpointFor,
  fromAwsError,
  isBackupId,
  isRetryable,
  isThrottling,
  type Item,
  itemToLine,
  lineItemJson,
  lineToItem,
  manifestKey,
  mergeSettings,
  newBackupId,
  normalizePrefix,
  parseManifest,
  parseManifestKey,
  parseS3Uri,
  readBudget,
  runPool,
  s3Uri,
  settingsFromEnv,
} from '@coldkeep/shared';

const MiB = 1024 * 1024;

describe('layout', () => {
  const loc: BackupLocation = {
    bucket: 'bkt',
    prefix: 'coldkeep',
    account: '123456789012',
    region: 'eu-west-1',
    table: 'Orders.v2',
    backupId: '20261122T134501Z-3f9c',
  };

  test('keys follow <prefix>/tables/<account>/<region>/<table>/<backupId>/…', () => {
    assert.equal(backupDir(loc), 'coldkeep/tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/');
    assert.equal(
      manifestKey(loc),
      'coldkeep/tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/manifest.json',
    );
    assert.equal(
      dataFileKey(loc, 3, 12),
      'coldkeep/tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/data/0003-0012.json.gz',
    );
    // Zero padding keeps keys in segment/part order; wider numbers still work.
    assert.match(dataFileKey(loc, 12345, 1), /\/data\/12345-0001\.json\.gz$/);
    assert.equal(
      s3Uri('bkt', backupDir(loc)),
      's3://bkt/coldkeep/tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/',
    );
  });

  test('parseManifestKey reads a manifest key back into its location', () => {
    assert.deepEqual(parseManifestKey('bkt', manifestKey(loc)), loc);
    const nested = { ...loc, prefix: 'team/a/backups' };
    assert.deepEqual(parseManifestKey('bkt', manifestKey(nested)), nested);
  });

  test('an empty prefix puts tables/ at the bucket root and still round-trips', () => {
    const root = { ...loc, prefix: '' };
    assert.equal(manifestKey(root), 'tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/manifest.json');
    assert.equal(
      dataFileKey(root, 0, 1),
      'tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/data/0000-0001.json.gz',
    );
    assert.deepEqual(parseManifestKey('bkt', manifestKey(root)), root);
  });

  test('normalizePrefix: default "coldkeep", slashes trimmed, empty kept empty', () => {
    assert.equal(normalizePrefix(undefined), 'coldkeep');
    assert.equal(normalizePrefix('/a/b/'), 'a/b');
    assert.equal(normalizePrefix('//x//'), 'x');
    assert.equal(normalizePrefix(''), '');
    assert.equal(normalizePrefix('/'), '');
  });

  test('parseManifestKey rejects keys outside the layout', () => {
    assert.equal(parseManifestKey('bkt', 'coldkeep/tables/1/r/T/id/data/0000-0001.json.gz'), undefined);
    assert.equal(parseManifestKey('bkt', 'coldkeep/tables/1/r/T/manifest.json'), undefined);
    assert.equal(parseManifestKey('bkt', 'coldkeep/other/1/r/T/id/manifest.json'), undefined);
    assert.equal(parseManifestKey('bkt', 'coldkeep/tables/1/r/T/id/manifest.json.bak'), undefined);
  });

  test('parseS3Uri', () => {
    assert.deepEqual(parseS3Uri('s3://bkt/a/b/'), { bucket: 'bkt', key: 'a/b/' });
    assert.deepEqual(parseS3Uri('s3://bkt/a/manifest.json'), { bucket: 'bkt', key: 'a/manifest.json' });
    assert.deepEqual(parseS3Uri('s3://bkt'), { bucket: 'bkt', key: '' });
    assert.deepEqual(parseS3Uri('s3://bkt/'), { bucket: 'bkt', key: '' });
    assert.equal(parseS3Uri('https://bkt.s3.amazonaws.com/a'), undefined);
    assert.equal(parseS3Uri('s3:///a'), undefined);
    assert.equal(parseS3Uri('bkt/a'), undefined);
  });
});

describe('backup ids', () => {
  test('newBackupId is a UTC stamp, then the milliseconds and random bytes in hex', () => {
    const id = newBackupId(new Date('2026-11-22T13:45:01.987Z'), () => Buffer.from([0x3f, 0x9c]));
    assert.equal(id, '20261122T134501Z-3db3f9c');
    assert.equal(isBackupId(id), true);
    assert.match(newBackupId(), /^\d{8}T\d{6}Z-[0-9a-f]{7}$/);
  });

  test('isBackupId', () => {
    assert.equal(isBackupId('20261122T134501Z-3f9c'), true);
    assert.equal(isBackupId('20261122T134501Z-3f9c0a'), true);
    assert.equal(isBackupId('20261122T134501Z-3F9C'), false);
    assert.equal(isBackupId('20261122T134501Z'), false);
    assert.equal(isBackupId('2026-11-22T13:45:01Z-3f9c'), false);
    assert.equal(isBackupId('latest'), false);
    assert.equal(isBackupId('x20261122T134501Z-3f9c'), false);
  });

  test('backupIdTime recovers the time, to the second; undefined for foreign ids', () => {
    assert.equal(backupIdTime('20261122T134501Z-3f9c')?.toISOString(), '2026-11-22T13:45:01.000Z');
    assert.equal(backupIdTime('my-backup'), undefined);
  });

  test('ids sort by time, to the millisecond, whatever the random bytes', () => {
    const times = [
      '2027-01-01T00:00:00Z',
      '2026-12-31T23:59:59Z',
      '2026-11-22T13:45:01.900Z',
      '2026-11-22T13:45:01.020Z',
      '2026-11-22T13:45:02Z',
      '2026-02-01T00:00:00Z',
      '2026-10-01T00:00:00Z',
    ];
    const suffixes = [0xffff, 0x0000, 0x0001, 0x8000, 0x0001, 0xabcd, 0x1234];
    const ids = times.map((t, i) => {
      const s = Buffer.alloc(2);
      s.writeUInt16BE(suffixes[i]!);
      return newBackupId(new Date(t), () => s);
    });
    const byId = [...ids].sort();
    const byTime = times
      .map((t, i) => [new Date(t).getTime(), ids[i]!] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, id]) => id);
    assert.deepEqual(byId, byTime, 'two backups in the same second sort by their milliseconds');
  });
});

/** Binary values as hex, so items compare whatever byte container they use. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

describe('item lines (DynamoDB JSON)', () => {
  const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
  const every: Item = {
    s: { S: 'plain' },
    unicode: { S: 'héllo wörld — 日本語 — 🧊❄️ — e\u0301 — \u05e9\u05dc\u05d5\u05dd — "quoted" \\ back\\slash' },
    controls: { S: 'line1\nline2\r\ttab \u2028 \u2029 \u0000 end' },
    empty: { S: '' },
    n: { N: '-12345.6789e10' },
    big: { N: '123456789012345678901234567890123456789' },
    b: { B: bytes(0, 1, 2, 253, 254, 255) },
    emptyB: { B: bytes() },
    ss: { SS: ['a', 'ü', '🧊'] },
    ns: { NS: ['1', '2.5', '-3'] },
    bs: { BS: [bytes(1), bytes(2, 3), bytes(255, 0)] },
    bool: { BOOL: false },
    nul: { NULL: true },
    emptyL: { L: [] },
    emptyM: { M: {} },
    m: {
      M: {
        inner: { B: bytes(9, 8, 7) },
        set: { BS: [bytes(0xde, 0xad), bytes(0xbe, 0xef)] },
        deeper: { M: { list: { L: [{ B: bytes(42) }, { S: 'x' }, { M: { z: { BS: [bytes(1, 2)] } } }] } } },
        'ключ 🗝': { S: 'значение' },
      },
    },
    l: {
      L: [
        { B: bytes(1, 2, 3) },
        { N: '1' },
        { L: [{ BS: [bytes(4)] }] },
        { M: { b: { B: bytes(5) } } },
        { NULL: true },
      ],
    },
    'attribute name with spaces & ünïcödé': { S: 'ok' },
  };

  test('every attribute type round-trips, binaries nested in M and L included', () => {
    const line = itemToLine(every);
    const back = lineToItem(line.trimEnd(), 'test:1');
    assert.deepEqual(normalize(back), normalize(every));
    assert.deepEqual(Object.keys(back), Object.keys(every));
    assert.ok(back.b!.B instanceof Uint8Array);
    assert.ok(back.m!.M!.set!.BS![1] instanceof Uint8Array);
    assert.ok(back.l!.L![0]!.B instanceof Uint8Array);
  });

  test('one line per item: a single trailing newline, no raw CR/LF inside', () => {
    const line = itemToLine(every);
    assert.equal(line.at(-1), '\n');
    assert.equal(line.slice(0, -1).includes('\n'), false);
    assert.equal(line.includes('\r'), false);
  });

  test('a line is DynamoDB JSON {"Item":…} with base64 binaries at every depth', () => {
    const line = itemToLine({
      pk: { S: 'k' },
      b: { B: bytes(0, 1, 2, 255) },
      bs: { BS: [bytes(104, 105), bytes()] },
      m: { M: { b: { B: bytes(255, 254) } } },
      l: { L: [{ B: bytes(1, 2, 3) }, { M: { bs: { BS: [bytes(0)] } } }] },
    });
    assert.deepEqual(JSON.parse(line), {
      Item: {
        pk: { S: 'k' },
        b: { B: 'AAEC/w==' },
        bs: { BS: ['aGk=', ''] },
        m: { M: { b: { B: '//4=' } } },
        l: { L: [{ B: 'AQID' }, { M: { bs: { BS: ['AA=='] } } }] },
      },
    });
  });

  test('a binary that is a view into a larger buffer encodes only its own bytes', () => {
    const backing = Buffer.from([9, 9, 1, 2, 3, 9, 9]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 3);
    assert.deepEqual(JSON.parse(itemToLine({ b: { B: view } })), { Item: { b: { B: 'AQID' } } });
    assert.deepEqual(JSON.parse(itemToLine({ b: { BS: [backing.subarray(3, 5)] } })), {
      Item: { b: { BS: ['AgM='] } },
    });
  });

  test('encoding does not modify the item it is given', () => {
    const item: Item = { b: { B: bytes(1) }, m: { M: { b: { B: bytes(2) } } }, l: { L: [{ B: bytes(3) }] } };
    itemToLine(item);
    assert.ok(item.b!.B instanceof Uint8Array);
    assert.ok(item.m!.M!.b!.B instanceof Uint8Array);
    assert.ok(item.l!.L![0]!.B instanceof Uint8Array);
  });

  test('an item without binaries is written as is', () => {
    const item: Item = { pk: { S: 'a' }, n: { N: '1' }, m: { M: { x: { SS: ['q'] } } } };
    assert.equal(itemToLine(item), `{"Item":${JSON.stringify(item)}}\n`);
  });

  test('reads DynamoDB native export lines', () => {
    const item = lineToItem('{"Item":{"id":{"S":"1"},"data":{"B":"aGVsbG8="},"tags":{"SS":["x","y"]}}}', 'export:1');
    assert.deepEqual(normalize(item), {
      id: { S: '1' },
      data: { B: { bytes: Buffer.from('hello').toString('hex') } },
      tags: { SS: ['x', 'y'] },
    });
  });

  test('a damaged line is ManifestInvalid naming where it is', () => {
    assert.throws(
      () => lineToItem('{"Item":{"a":', 'data/0000-0001.json.gz:7'),
      (err: unknown) => {
        assert.ok(err instanceof ColdkeepError);
        assert.equal(err.code, 'ManifestInvalid');
        assert.match(err.message, /data\/0000-0001\.json\.gz:7/);
        return true;
      },
    );
    assert.throws(() => lineToItem('{"NotItem":{}}', 'f:2'), {
      code: 'ManifestInvalid',
      message: /f:2 has no "Item" object/,
    });
    assert.throws(() => lineToItem('{"Item":"text"}', 'f:3'), { code: 'ManifestInvalid' });
  });

  test('an attribute named "__proto__" survives the round trip', () => {
    // DynamoDB allows any attribute name; JSON.parse keeps "__proto__" as an own key.
    const line = '{"Item":{"pk":{"S":"a"},"__proto__":{"S":"x"},"m":{"M":{"__proto__":{"N":"1"}}}}}';
    const item = lineToItem(line, 'f:1');
    assert.deepEqual(Object.keys(item), ['pk', '__proto__', 'm']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(item, '__proto__')?.value, { S: 'x' });
    assert.deepEqual(Object.keys(item.m!.M!), ['__proto__']);
  });

  test('lineItemJson gives the item text of an exact {"Item":…} line and nothing else', () => {
    const item = '{"pk":{"S":"a \\"}{\\" \\\\"},"m":{"M":{"l":{"L":[{"N":"1"}]}}}}';
    const text = (line: string) => lineItemJson(Buffer.from(line))?.toString('utf8');
    assert.equal(text(`{"Item":${item}}`), item);
    assert.deepEqual(JSON.parse(text(itemToLine({ pk: { S: '}"{' } }).trimEnd())!), JSON.parse('{"pk":{"S":"}\\"{"}}'));
    for (const other of [
      `{"Item":${item},"Other":1}`, // more than the item
      `{"Item":${item}} `, // trailing space
      ` {"Item":${item}}`,
      `{ "Item": ${item}}`,
      `{"Item":${item}`, // cut short
      `{"Item":"text"}`,
      `{"Keys":${item},"NewImage":${item}}`, // a change record
      '',
      '{"Item":}',
    ]) {
      assert.equal(text(other), undefined, other);
    }
  });
});

describe('CapacityLimiter', () => {
  /** Lets the limiter's promise chains run (setImmediate is not mocked). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  /** Acquires, advancing the fake clock through every timer the limiter sets; returns the fake ms it waited. */
  async function acquireOnFakeTime(t: TestContext, limiter: CapacityLimiter): Promise<number> {
    const start = Date.now();
    let done = false;
    const acquired = limiter.acquire().then(() => {
      done = true;
    });
    await settle();
    for (let guard = 0; !done; guard++) {
      assert.ok(guard < 10_000, 'acquire never resolved');
      t.mock.timers.runAll();
      await settle();
    }
    await acquired;
    return Date.now() - start;
  }

  test('rejects a non-positive rate', () => {
    assert.throws(() => new CapacityLimiter(0), RangeError);
    assert.throws(() => new CapacityLimiter(-5), RangeError);
    assert.throws(() => new CapacityLimiter(Number.NaN), RangeError);
  });

  test('the burst passes at once; then debt makes the next acquire wait until it is paid off', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const limiter = new CapacityLimiter(10, 10, () => Date.now());
    assert.equal(await acquireOnFakeTime(t, limiter), 0);
    limiter.consume(30); // 10 in the bucket, 20 of debt: two seconds at 10/s
    let done = false;
    const acquired = limiter.acquire().then(() => {
      done = true;
    });
    await settle();
    assert.equal(done, false);
    t.mock.timers.tick(1000);
    await settle();
    assert.equal(done, false, 'still 10 units of debt after one second');
    t.mock.timers.tick(990);
    await settle();
    assert.equal(done, false, 'still in debt at 1.99 s');
    t.mock.timers.tick(20);
    await settle();
    assert.equal(done, true, 'out of debt after ~2 s');
    await acquired;
  });

  test('idle time fills the bucket only up to the burst', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const limiter = new CapacityLimiter(10, 10, () => Date.now());
    t.mock.timers.tick(60_000); // a minute idle would be 600 units without the cap
    assert.equal(await acquireOnFakeTime(t, limiter), 0);
    limiter.consume(15); // 10 in the bucket: 5 units of debt, half a second
    const waited = await acquireOnFakeTime(t, limiter);
    assert.ok(waited >= 500 && waited <= 510, `waited ${waited} ms`);
  });

  test('the long-run rate stays at unitsPerSecond (one worker)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const rate = 100;
    const burst = 100;
    const limiter = new CapacityLimiter(rate, burst, () => Date.now());
    let consumed = 0;
    for (let i = 0; i < 50; i++) {
      await acquireOnFakeTime(t, limiter);
      // Every request started so far fits the budget: burst + rate × elapsed.
      assert.ok(
        consumed <= burst + (rate * Date.now()) / 1000 + 1e-9,
        `request ${i} at ${Date.now()} ms after ${consumed} units`,
      );
      limiter.consume(10);
      consumed += 10;
    }
    // 490 units were consumed before the last request could start: (490 - 100) / 100 s at least.
    const elapsed = Date.now();
    assert.ok(elapsed >= 3900, `took ${elapsed} ms`);
    assert.ok(elapsed <= 3900 + 50 * 2, `took ${elapsed} ms: waits should be only as long as the debt needs`);
  });

  test('the long-run rate holds with several workers sharing one limiter', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const rate = 50;
    const burst = 50;
    const cost = 5;
    const limiter = new CapacityLimiter(rate, burst, () => Date.now());
    let consumed = 0;
    let maxOver = -Infinity;
    let finished = 0;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        await limiter.acquire();
        maxOver = Math.max(maxOver, consumed - (burst + (rate * Date.now()) / 1000));
        limiter.consume(cost);
        consumed += cost;
      }
      finished++;
    };
    const workers = Array.from({ length: 4 }, worker);
    for (let guard = 0; finished < 4; guard++) {
      assert.ok(guard < 100_000, 'workers never finished');
      await settle();
      t.mock.timers.runAll();
    }
    await Promise.all(workers);
    assert.equal(consumed, 400);
    // Workers that pass together may overshoot by one request each, never more.
    assert.ok(maxOver <= 4 * cost, `overshoot ${maxOver}`);
    assert.ok(Date.now() >= ((400 - burst - 4 * cost) / rate) * 1000, `took ${Date.now()} ms`);
  });
});

describe('scan planning', () => {
  test('choosePageLimit: about 256 KiB of items per Scan page, 1,000 items when the size is unknown', () => {
    assert.equal(choosePageLimit(1_000_000, 258_000_000), 1016);
    assert.equal(choosePageLimit(10, 10 * 400 * 1024), 100, 'at least 100 items, even of 400 KB items');
    assert.equal(choosePageLimit(1000, 50_000), 5243, 'small items: more per page');
    assert.equal(choosePageLimit(0, 0), 1000, 'DescribeTable figures not there yet (new table, emulators)');
  });

  test('chooseTotalSegments: one per 64 MiB, at least 4 past 8 MiB, at most 1000', () => {
    assert.equal(chooseTotalSegments(0), 1);
    assert.equal(chooseTotalSegments(1), 1);
    assert.equal(chooseTotalSegments(8 * MiB), 1);
    assert.equal(chooseTotalSegments(8 * MiB + 1), 4);
    assert.equal(chooseTotalSegments(256 * MiB), 4);
    assert.equal(chooseTotalSegments(256 * MiB + 1), 5);
    assert.equal(chooseTotalSegments(300 * MiB), 5);
    assert.equal(chooseTotalSegments(6400 * MiB), 100);
    assert.equal(chooseTotalSegments(64_000 * MiB), 1000);
    assert.equal(chooseTotalSegments(10 * 1024 * 1024 * MiB), 1000);
  });

  test('readBudget: explicit units win; else a fraction of provisioned capacity (at least 1); else no limit', () => {
    assert.equal(readBudget({ provisionedReadUnits: 1000, fraction: 0.5, unitsPerSecond: 42 }), 42);
    assert.equal(readBudget({ provisionedReadUnits: 1000, fraction: 0.5 }), 500);
    assert.equal(readBudget({ provisionedReadUnits: 1, fraction: 0.5 }), 1);
    assert.equal(readBudget({ provisionedReadUnits: 3, fraction: 0.1 }), 1);
    assert.equal(readBudget({ fraction: 0.5 }), undefined);
    assert.equal(readBudget({ provisionedReadUnits: 0, fraction: 0.5 }), undefined);
    assert.equal(readBudget({ provisionedReadUnits: 100 }), undefined);
    assert.equal(readBudget({ unitsPerSecond: 7 }), 7);
  });
});

describe('fromAwsError', () => {
  const awsError = (name: string, message = name, status?: number): Error =>
    Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

  test('ResourceNotFoundException for a table → NoSuchTable with the table, region and a hint', () => {
    const cause = awsError('ResourceNotFoundException', 'Requested resource not found', 400);
    const err = fromAwsError(cause, { doing: 'describe table Orders', table: 'Orders', region: 'eu-west-1' });
    assert.ok(err instanceof ColdkeepError);
    assert.equal(err.code, 'NoSuchTable');
    assert.equal(err.message, 'Table "Orders" does not exist in eu-west-1.');
    assert.match(err.hint ?? '', /the region setting/);
    assert.match(err.hint ?? '', /coldkeep tables list/);
    assert.equal(err.cause, cause);
  });

  test('ResourceNotFoundException without a table is left alone', () => {
    const cause = awsError('ResourceNotFoundException');
    assert.equal(fromAwsError(cause, { doing: 'x' }), cause);
  });

  test('AccessDenied naming the action → AccessDenied with details.action and a hint to grant it', () => {
    const cause = awsError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/ro/me is not authorized to perform: dynamodb:Scan on resource: arn:aws:dynamodb:us-east-1:123456789012:table/T because no identity-based policy allows the dynamodb:Scan action',
      400,
    );
    const err = fromAwsError(cause, { doing: 'scan table T', table: 'T' });
    assert.ok(err instanceof ColdkeepError);
    assert.equal(err.code, 'AccessDenied');
    assert.deepEqual(err.details, { action: 'dynamodb:Scan' });
    assert.equal(err.message, 'Access denied while trying to scan table T: missing permission dynamodb:Scan.');
    assert.match(err.hint ?? '', /Grant dynamodb:Scan/);
    assert.deepEqual(err.toJSON().details, { action: 'dynamodb:Scan' });
  });

  test('AccessDenied without an action still maps, with no details', () => {
    const err = fromAwsError(awsError('AccessDenied', 'Access Denied', 403), {
      doing: 'write the manifest',
      bucket: 'b',
    });
    assert.ok(err instanceof ColdkeepError);
    assert.equal(err.code, 'AccessDenied');
    assert.equal(err.details, undefined);
    assert.match(err.hint ?? '', /sts get-caller-identity/);
  });

  test('expired tokens → ExpiredCredentials', () => {
    for (const name of ['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']) {
      const err = fromAwsError(awsError(name, 'The security token included in the request is expired'), {
        doing: 'list tables',
      });
      assert.ok(err instanceof ColdkeepError, name);
      assert.equal(err.code, 'ExpiredCredentials', name);
      assert.match(err.message, /while trying to list tables/);
      assert.match(err.hint ?? '', /sso login/);
    }
  });

  test('missing credentials, missing bucket and wrong region map to their codes', () => {
    assert.equal(
      (fromAwsError(awsError('CredentialsProviderError'), { doing: 'x' }) as ColdkeepError).code,
      'MissingCredentials',
    );
    const noBucket = fromAwsError(awsError('NoSuchBucket'), {
      doing: 'x',
      bucket: 'bk',
      region: 'us-east-1',
    }) as ColdkeepError;
    assert.equal(noBucket.code, 'NoSuchBucket');
    assert.match(noBucket.message, /"bk" does not exist in us-east-1/);
    assert.equal(
      (fromAwsError(awsError('PermanentRedirect'), { doing: 'x', bucket: 'bk' }) as ColdkeepError).code,
      'RegionMismatch',
    );
  });

  test('unknown errors, non-objects and ColdkeepErrors come back unchanged', () => {
    const unknown = awsError('ValidationException', 'One or more parameter values were invalid');
    assert.equal(fromAwsError(unknown, { doing: 'x', table: 'T' }), unknown);
    const plain = new TypeError('boom');
    assert.equal(fromAwsError(plain, { doing: 'x' }), plain);
    assert.equal(fromAwsError('a string', { doing: 'x' }), 'a string');
    assert.equal(fromAwsError(undefined, { doing: 'x' }), undefined);
    const ours = new ColdkeepError('Throttled', 'slow');
    assert.equal(fromAwsError(ours, { doing: 'x' }), ours);
  });

  test('isThrottling / isRetryable', () => {
    assert.equal(isThrottling(awsError('ProvisionedThroughputExceededException')), true);
    assert.equal(isThrottling(awsError('Whatever', 'x', 429)), true);
    assert.equal(isThrottling(awsError('ValidationException', 'x', 400)), false);
    assert.equal(isRetryable(awsError('InternalServerError', 'x', 500)), true);
    assert.equal(isRetryable(awsError('Anything', 'x', 503)), true);
    assert.equal(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
    assert.equal(isRetryable(awsError('AccessDenied', 'x', 403)), false);
    assert.equal(isRetryable(undefined), false);
  });
});

describe('parseManifest', () => {
  const valid: BackupManifest = {
    format: 'coldkeep.table-backup',
    formatVersion: 1,
    backupId: '20261122T134501Z-3f9c',
    tool: { name: 'coldkeep', version: '0.1.0' },
    engine: 'scan',
    source: { account: '123456789012', region: 'us-east-1', table: 'T' },
    schema: {
      tableName: 'T',
      keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
      globalSecondaryIndexes: [],
      localSecondaryIndexes: [],
      approximateItemCount: 2,
      approximateSizeBytes: 100,
    },
    startedAt: '2026-11-22T13:45:01.000Z',
    finishedAt: '2026-11-22T13:45:03.000Z',
    itemCount: 2,
    uncompressedBytes: 80,
    bytes: 60,
    segments: { total: 1, consistentRead: false },
    files: [
      {
        key: 'data/0000-0001.json.gz',
        segment: 0,
        part: 1,
        items: 2,
        bytes: 60,
        uncompressedBytes: 80,
        sha256: 'a'.repeat(64),
      },
    ],
    storage: { lifecycleTag: { key: 'coldkeep-lifecycle', value: 'archive' } },
  };
  // Wrong values are cast with `as never`: the point is to write what the type forbids.
  const withChange = (change: (m: BackupManifest) => void): string => {
    const copy = structuredClone(valid);
    change(copy);
    return JSON.stringify(copy);
  };

  test('a valid manifest parses to itself', () => {
    assert.deepEqual(parseManifest(JSON.stringify(valid), 's3://b/m'), valid);
  });

  test('bad JSON → ManifestInvalid naming the object', () => {
    assert.throws(
      () => parseManifest('{"format": "coldkeep.tab', 's3://b/x/manifest.json'),
      (err: unknown) => {
        assert.ok(err instanceof ColdkeepError);
        assert.equal(err.code, 'ManifestInvalid');
        assert.match(err.message, /s3:\/\/b\/x\/manifest\.json is not valid JSON/);
        assert.ok(err.hint);
        return true;
      },
    );
  });

  test('wrong shape → ManifestInvalid naming the field', () => {
    const cases: [string, (m: BackupManifest) => void, RegExp][] = [
      ['format', (m) => (m.format = 'something.else' as never), /\(format: /],
      ['formatVersion', (m) => (m.formatVersion = 2 as never), /\(formatVersion: /],
      ['itemCount', (m) => (m.itemCount = -1), /\(itemCount: /],
      ['files.0.sha256', (m) => (m.files[0]!.sha256 = 'not-hex'), /\(files\.0\.sha256: /],
      ['files.0.part', (m) => (m.files[0]!.part = 0), /\(files\.0\.part: /],
      ['schema.keySchema', (m) => (m.schema.keySchema = []), /\(schema\.keySchema: /],
      ['storage.sse.type', (m) => (m.storage.sse = { type: 'aws:kms:dsse' as never }), /\(storage\.sse\.type: /],
      ['missing source', (m) => delete (m as Partial<BackupManifest>).source, /\(source: /],
    ];
    for (const [name, change, field] of cases) {
      assert.throws(
        () => parseManifest(withChange(change), 's3://b/m'),
        (err: unknown) => {
          assert.ok(err instanceof ColdkeepError, name);
          assert.equal(err.code, 'ManifestInvalid', name);
          assert.match(err.message, field, `${name}: ${(err as Error).message}`);
          return true;
        },
        name,
      );
    }
    assert.throws(() => parseManifest('[]', 's3://b/m'), { code: 'ManifestInvalid', message: /\(\(root\): / });
  });
});

describe('settings', () => {
  test('settingsFromEnv: one endpoint for all, per-service endpoints, region and profile', () => {
    const settings = settingsFromEnv({
      COLDKEEP_ENDPOINT_URL: 'http://localhost:4566',
      COLDKEEP_ENDPOINT_URL_S3: 'http://localhost:9000',
      AWS_REGION: 'eu-central-1',
      AWS_PROFILE: 'prod',
    });
    assert.deepEqual(settings, {
      region: 'eu-central-1',
      profile: 'prod',
      endpoint: 'http://localhost:4566',
      endpoints: { s3: 'http://localhost:9000' },
    });
    assert.equal(endpointFor(settings, 's3'), 'http://localhost:9000');
    assert.equal(endpointFor(settings, 'dynamodb'), 'http://localhost:4566');
    assert.equal(endpointFor(settings, 'sts'), 'http://localhost:4566');
  });

  test('settingsFromEnv: COLDKEEP_ variables win over AWS_ ones; an empty environment gives {}', () => {
    assert.deepEqual(
      settingsFromEnv({
        COLDKEEP_REGION: 'ap-south-1',
        AWS_REGION: 'us-west-2',
        AWS_DEFAULT_REGION: 'us-east-2',
        COLDKEEP_PROFILE: 'ck',
        AWS_PROFILE: 'aws',
      }),
      { region: 'ap-south-1', profile: 'ck' },
    );
    assert.deepEqual(settingsFromEnv({ AWS_DEFAULT_REGION: 'us-east-2' }), { region: 'us-east-2' });
    assert.deepEqual(settingsFromEnv({}), {});
    assert.deepEqual(settingsFromEnv({ COLDKEEP_ENDPOINT_URL_DYNAMODB: 'http://d' }), {
      endpoints: { dynamodb: 'http://d' },
    });
  });

  test('mergeSettings: later layers win, undefined does not erase, endpoints merge per service', () => {
    const merged = mergeSettings(
      {
        region: 'us-east-1',
        profile: 'a',
        endpoint: 'http://all',
        endpoints: { s3: 'http://s3-env', dynamodb: 'http://ddb-env' },
      },
      undefined,
      { region: 'eu-west-1', profile: undefined, endpoints: { s3: 'http://s3-flag' } },
    );
    assert.deepEqual(merged, {
      region: 'eu-west-1',
      profile: 'a',
      endpoint: 'http://all',
      endpoints: { s3: 'http://s3-flag', dynamodb: 'http://ddb-env' },
    });
    assert.deepEqual(mergeSettings(), {});
  });

  test('client config: endpoint per service, path-style S3 only with a custom endpoint', async () => {
    const settings = {
      region: 'eu-west-1',
      endpoint: 'http://localhost:4566',
      endpoints: { s3: 'http://localhost:9000' },
    };
    assert.equal(commonClientConfig(settings, 's3').endpoint, 'http://localhost:9000');
    assert.equal(commonClientConfig(settings, 'dynamodb').endpoint, 'http://localhost:4566');
    assert.equal(commonClientConfig({}, 's3').region, 'us-east-1');
    assert.equal('endpoint' in commonClientConfig({}, 's3'), false);
    const local = new AwsClients(settings);
    const aws = new AwsClients({ region: 'eu-west-1' });
    try {
      assert.equal(local.s3.config.forcePathStyle, true);
      assert.equal(aws.s3.config.forcePathStyle, false);
      assert.equal(await aws.s3.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
      assert.equal(await aws.s3.config.region(), 'eu-west-1');
      assert.equal(aws.region, 'eu-west-1');
    } finally {
      local.destroy();
      aws.destroy();
    }
  });
});

describe('runPool', () => {
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const waitForAbort = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
    );

  test('runs every item with at most `concurrency` at once', async () => {
    let active = 0;
    let maxActive = 0;
    const done: number[] = [];
    await runPool(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (item) => {
        active++;
        maxActive = Math.max(maxActive, active);
        for (let i = 0; i < (item % 4) + 1; i++) await tick();
        active--;
        done.push(item);
      },
    );
    assert.equal(maxActive, 3);
    assert.deepEqual(
      [...done].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  test('concurrency below 1 still runs one at a time', async () => {
    let active = 0;
    let maxActive = 0;
    let count = 0;
    await runPool([1, 2, 3], 0, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await tick();
      active--;
      count++;
    });
    assert.equal(maxActive, 1);
    assert.equal(count, 3);
  });

  test('the first failure aborts the others, starts nothing new, and is rethrown once all have stopped', async () => {
    const boom = new Error('boom');
    const started: number[] = [];
    const sawAbort: number[] = [];
    const stopped: number[] = [];
    const promise = runPool(
      Array.from({ length: 10 }, (_, i) => i),
      3,
      async (item, signal) => {
        started.push(item);
        if (item === 1) {
          await tick();
          throw boom;
        }
        if (item === 2) {
          await tick();
          await tick();
          throw new Error('second failure, not rethrown');
        }
        await waitForAbort(signal);
        sawAbort.push(item);
        await tick();
        await tick();
        stopped.push(item);
      },
    );
    await assert.rejects(promise, (err: unknown) => err === boom);
    assert.deepEqual(started, [0, 1, 2]);
    assert.deepEqual(sawAbort, [0]);
    assert.deepEqual(stopped, [0], 'runPool settled before item 0 had stopped');
  });

  test('a parent abort stops the pool and rejects with the parent reason', async () => {
    const parent = new AbortController();
    const reason = new CancelledError('user cancelled');
    const started: number[] = [];
    const sawAbort: number[] = [];
    const promise = runPool(
      Array.from({ length: 10 }, (_, i) => i),
      2,
      async (item, signal) => {
        started.push(item);
        if (item === 3) parent.abort(reason);
        await tick();
        if (signal.aborted) sawAbort.push(item);
      },
      parent.signal,
    );
    await assert.rejects(promise, (err: unknown) => err === reason);
    // Items 2 and 3 were running when the parent aborted; nothing started after.
    assert.deepEqual(started, [0, 1, 2, 3]);
    assert.deepEqual(sawAbort.sort(), [2, 3]);
  });

  test('an already aborted parent runs nothing', async () => {
    const parent = new AbortController();
    parent.abort(new CancelledError());
    let calls = 0;
    await assert.rejects(
      runPool([1, 2, 3], 2, async () => void calls++, parent.signal),
      (err: unknown) => err instanceof CancelledError,
    );
    assert.equal(calls, 0);
  });
});
