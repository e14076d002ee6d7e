// Item-level restore into a live table, against dynalite and s3rver over HTTP: a table changed
// after its backup (one item modified, one deleted, one added), restored by key and by filter
// with each conflict mode; the table afterwards is compared with what each mode promises.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AwsClients, backupTable, type Item, parseManifest, restoreItems } from '@coldkeep/shared';
import { startFaultProxy } from '../helpers/faultProxy';
import {
  assertSameItems,
  createTable,
  putItems,
  scanAll,
  startTarget,
  type TestTarget,
  uniqueName,
} from '../helpers/fixture';

const item = (pk: string, sk: number, v: string): Item => ({ pk: { S: pk }, sk: { N: String(sk) }, v: { S: v } });
const key = (pk: string, sk: number): string => JSON.stringify({ pk, sk });

describe('item-level restore into a live table (dynalite, s3rver)', () => {
  let target: TestTarget;
  before(async () => {
    target = await startTarget();
  });
  after(async () => {
    await target?.stop();
  });

  /**
   * A table of u1…u4 × sk 1…5 ("orig"), backed up in 3 segments, then changed: u1/1 modified,
   * u1/2 deleted, u9/1 added. Returns the table, the backup and the items as backed up.
   */
  async function changedAfterBackup() {
    const table = uniqueName('items');
    const original: Item[] = [];
    for (const pk of ['u1', 'u2', 'u3', 'u4']) for (let sk = 1; sk <= 5; sk++) original.push(item(pk, sk, 'orig'));
    await createTable(target.clients.dynamodb, {
      TableName: table,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
    });
    await putItems(target.clients.dynamodb, table, original);
    const backup = await backupTable(target.clients, { table, bucket: target.bucket, segments: 3 });
    const ddb = target.clients.dynamodb;
    await ddb.send(new PutItemCommand({ TableName: table, Item: item('u1', 1, 'changed') }));
    await ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'u1' }, sk: { N: '2' } } }));
    await ddb.send(new PutItemCommand({ TableName: table, Item: item('u9', 1, 'added') }));
    const before = await scanAll(ddb, table);
    return { table, backup, original, before };
  }

  const without = (items: Item[], pk: string, sk: number): Item[] =>
    items.filter((i) => !(i.pk?.S === pk && i.sk?.N === String(sk)));

  test('skip-existing (the default): the deleted item comes back; the modified and the added ones are left', async () => {
    const { table, backup, before } = await changedAfterBackup();
    const report = await restoreItems(target.clients, {
      source: { uri: backup.uri },
      keys: [key('u1', 1), key('u1', 2), key('u9', 1)],
    });
    assert.equal(report.conflict, 'skip-existing');
    assert.equal(report.itemsSelected, 2);
    assert.equal(report.written, 1);
    assert.equal(report.skippedExisting, 1);
    assert.equal(report.failed, 0);
    assert.equal(report.notInBackup, 1);
    assert.deepEqual(report.notInBackupKeys, [key('u9', 1)]);
    assert.equal(report.filesVerified, backup.files);
    assert.equal(report.recordsRead, 20);
    assertSameItems(await scanAll(target.clients.dynamodb, table), [...before, item('u1', 2, 'orig')]);
  });

  test('overwrite: the modified item is put back as backed up, the deleted one restored, the added one untouched', async () => {
    const { table, backup, before } = await changedAfterBackup();
    const report = await restoreItems(target.clients, {
      source: { uri: backup.uri },
      keys: [key('u1', 1), key('u1', 2)],
      conflict: 'overwrite',
    });
    assert.equal(report.written, 2);
    assert.equal(report.skippedExisting, 0);
    assertSameItems(await scanAll(target.clients.dynamodb, table), [
      ...without(before, 'u1', 1),
      item('u1', 1, 'orig'),
      item('u1', 2, 'orig'),
    ]);
  });

  test('fail: one selected key exists, so nothing is written and the error names it', async () => {
    const { table, backup, before } = await changedAfterBackup();
    await assert.rejects(
      restoreItems(target.clients, {
        source: { uri: backup.uri },
        keys: [key('u1', 1), key('u1', 2)],
        conflict: 'fail',
      }),
      (err: { code?: string; message: string }) => {
        assert.equal(err.code, 'ItemsExist');
        assert.match(err.message, /1 of the 2 selected item\(s\) already exist.*"pk":"u1","sk":1.*nothing was written/);
        return true;
      },
    );
    assertSameItems(await scanAll(target.clients.dynamodb, table), before, 'the table is untouched');
    const ok = await restoreItems(target.clients, {
      source: { uri: backup.uri },
      keys: [key('u1', 2)],
      conflict: 'fail',
    });
    assert.equal(ok.written, 1);
    assertSameItems(await scanAll(target.clients.dynamodb, table), [...before, item('u1', 2, 'orig')]);
  });

  test('--where with = and BETWEEN on the key, from a --keys file too: conditional writes skip what exists', async () => {
    const { table, backup, before } = await changedAfterBackup();
    const byFilter = await restoreItems(target.clients, {
      source: { uri: backup.uri },
      where: "pk = 'u1' AND sk BETWEEN 1 AND 3",
    });
    assert.equal(byFilter.itemsSelected, 3);
    assert.equal(byFilter.written, 1, 'u1/2 only');
    assert.equal(byFilter.skippedExisting, 2, 'u1/1 (changed) and u1/3 (unchanged) exist');
    assertSameItems(await scanAll(target.clients.dynamodb, table), [...before, item('u1', 2, 'orig')]);

    const keysFile = join(tmpdir(), `${uniqueName('keys')}.jsonl`);
    await writeFile(keysFile, `${key('u1', 1)}\n\n{"pk":"u2","sk":"4"}\n`);
    const fromFile = await restoreItems(target.clients, {
      source: { uri: backup.uri },
      keysFile,
      conflict: 'overwrite',
    });
    assert.equal(fromFile.selection.keys, 2);
    assert.equal(fromFile.written, 2);
    const after = await scanAll(target.clients.dynamodb, table);
    assert.equal(after.find((i) => i.pk?.S === 'u1' && i.sk?.N === '1')?.v?.S, 'orig');
  });

  test('begins_with, OR and NOT select across segments; a dry run selects and writes nothing', async () => {
    const { table, backup, before } = await changedAfterBackup();
    const dry = await restoreItems(target.clients, {
      source: { uri: backup.uri },
      where: "(begins_with(pk, 'u2') OR pk = 'u3') AND NOT sk > 4",
      dryRun: true,
    });
    assert.equal(dry.itemsSelected, 8);
    assert.equal(dry.written, 0);
    await target.clients.dynamodb.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'u3' }, sk: { N: '4' } } }),
    );
    assertSameItems(await scanAll(target.clients.dynamodb, table), without(before, 'u3', 4));
    const real = await restoreItems(target.clients, {
      source: { uri: backup.uri },
      where: "(begins_with(pk, 'u2') OR pk = 'u3') AND NOT sk > 4",
    });
    assert.equal(real.written, 1);
    assert.equal(real.skippedExisting, 7);
    assertSameItems(await scanAll(target.clients.dynamodb, table), before);
  });

  test('a damaged data file stops the item restore before any write', async () => {
    const { table, backup, before } = await changedAfterBackup();
    const manifest = parseManifest(
      await (
        await target.clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: backup.manifestKey }))
      ).Body!.transformToString(),
      'test',
    );
    const dir = backup.manifestKey.replace(/manifest\.json$/, '');
    // The last file is damaged: the others (holding the selected items too) are verified first.
    const last = manifest.files.at(-1)!;
    await target.clients.s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: dir + last.key,
        Body: Buffer.from('not the backed-up bytes'),
      }),
    );
    await assert.rejects(
      restoreItems(target.clients, {
        source: { uri: backup.uri },
        where: 'attribute_exists(pk)',
        conflict: 'overwrite',
      }),
      { code: 'ChecksumMismatch' },
    );
    assertSameItems(await scanAll(target.clients.dynamodb, table), before, 'nothing was written');
  });

  test('a download cut mid-body is read again from its start: the selection and the counts stay exact', async () => {
    const { table, backup, original } = await changedAfterBackup();
    const proxy = await startFaultProxy(target.settings.endpoints!.s3!);
    const viaProxy = new AwsClients({ ...target.settings, endpoints: { ...target.settings.endpoints, s3: proxy.url } });
    try {
      proxy.setRules([
        { match: { method: 'GET', pathIncludes: '/data/' }, action: { kind: 'resetMidBody' }, times: 2 },
      ]);
      const report = await restoreItems(viaProxy, {
        source: { uri: backup.uri },
        where: "begins_with(pk, 'u')",
        conflict: 'overwrite',
      });
      assert.equal(proxy.stats.injected.resetMidBody, 2);
      assert.equal(report.recordsRead, 20);
      assert.deepEqual([report.itemsSelected, report.written], [20, 20]);
      assertSameItems(await scanAll(target.clients.dynamodb, table), [...original, item('u9', 1, 'added')]);
    } finally {
      viaProxy.destroy();
      await proxy.stop();
    }
  });

  test('bad input is a coded error before anything is read: a key of the wrong type, a bad filter, a missing table', async () => {
    const { backup } = await changedAfterBackup();
    await assert.rejects(
      restoreItems(target.clients, { source: { uri: backup.uri }, keys: ['{"pk":"u1","sk":"x"}'] }),
      {
        code: 'InvalidInput',
        message: /sk must be a number/,
      },
    );
    await assert.rejects(restoreItems(target.clients, { source: { uri: backup.uri }, keys: ['{"pk":"u1"}'] }), {
      code: 'InvalidInput',
      message: /sk is missing/,
    });
    await assert.rejects(restoreItems(target.clients, { source: { uri: backup.uri }, where: "pk = 'u1' AND" }), {
      code: 'InvalidInput',
    });
    await assert.rejects(
      restoreItems(target.clients, { source: { uri: backup.uri }, target: uniqueName('nope'), keys: [key('u1', 1)] }),
      { code: 'NoSuchTable' },
    );
  });
});
