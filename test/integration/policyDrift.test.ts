// Least privilege that cannot drift: run Coldkeep's operations against the emulators with every
// SDK call recorded (AwsSettings.onOperation), map each call to the IAM access it needs
// (policy/sdkActions.ts), and prove with an IAM policy simulator that the policy generated from
// the action table allows every one of them, on the right ARNs, and grants nothing else.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import {
  addKeyWrap,
  type AccessEnvironment,
  accessFor,
  ACTION_TABLE,
  AwsClients,
  type AwsOperationCall,
  backupArtefact,
  backupFolder,
  backupSummary,
  backupTable,
  collectGarbage,
  deleteBackup,
  drillFolder,
  drillTable,
  findBackup,
  type CoreOperation,
  declarationOf,
  describeTable,
  fillSnippet,
  findSnippet,
  forgetSnapshots,
  generatePolicy,
  type Item,
  listBackups,
  listSnapshots,
  lintPolicy,
  listTables,
  loadTemplate,
  notifyJob,
  planRestore,
  type PolicyDocument,
  pruneBlobs,
  type RequiredAccess,
  restoreItems,
  restoreSnapshot,
  resolveTemplateText,
  restoreTable,
  type RunningEmulators,
  startEmulators,
  verifySnapshot,
} from '@coldkeep/shared';
import { CreateMultipartUploadCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createBucket, createTable, listKeys, putItems, uniqueName } from '../helpers/fixture';
import { type FeatureProxy, startFeatureProxy } from '../helpers/policyFeatureProxy';
import { simulate } from '../helpers/policySimulation';
import { type FakeKms, startFakeKms } from '../helpers/fakeKms';

const EXERCISED: CoreOperation[] = [
  'tables-list',
  'backup-table',
  'list-backups',
  'delete-backup',
  'clean-backups',
  'restore',
  'drill',
  'drill-folder',
  'files',
  'notify',
];
const MiB = 1024 * 1024;
const FROM = 'coldkeep@example.com';
const PREFIX = 'drift';

describe('the generated least-privilege policy matches what the code calls', () => {
  let emulators: RunningEmulators;
  let s3Proxy: FeatureProxy;
  let dynamoProxy: FeatureProxy;
  let direct: AwsClients;
  let recording: AwsClients;
  let bucket: string;
  let account: string;
  let keyArn: string;
  let work: string;
  // No emulator serves KMS: the key wraps' calls go to a stand-in over HTTP, recorded like the rest.
  let kms: FakeKms;
  const region = 'us-east-1';
  const recorded: { operation: CoreOperation; call: AwsOperationCall }[] = [];
  let current: CoreOperation | undefined;
  const tables = {
    orders: uniqueName('Orders'),
    small: uniqueName('Small'),
    restored: uniqueName('Restored'),
    wide: uniqueName('Wide'),
  };

  async function as<T>(operation: CoreOperation, work: () => Promise<T>): Promise<T> {
    current = operation;
    try {
      return await work();
    } finally {
      current = undefined;
    }
  }

  before(async () => {
    emulators = await startEmulators();
    s3Proxy = await startFeatureProxy(emulators.endpoints.s3);
    dynamoProxy = await startFeatureProxy(emulators.endpoints.dynamodb);
    direct = new AwsClients(emulators.settings);
    kms = await startFakeKms();
    recording = new AwsClients({
      ...emulators.settings,
      endpoints: { ...emulators.settings.endpoints, s3: s3Proxy.url, dynamodb: dynamoProxy.url, kms: kms.endpoint },
      onOperation: (call) => {
        if (!current) throw new Error(`an AWS call outside an exercised operation: ${call.service}.${call.operation}`);
        recorded.push({ operation: current, call });
      },
    });
    bucket = await createBucket(direct.s3, uniqueName('drift'));

    // Orders: incompressible items so its data file goes multipart (> 5 MiB), and TTL on.
    await createTable(direct.dynamodb, { TableName: tables.orders });
    const big: Item[] = Array.from({ length: 24 }, (_, i) => ({
      pk: { S: `big-${i}` },
      noise: { B: randomBytes(280 * 1024) },
      expiresAt: { N: '4102444800' },
    }));
    await putItems(direct.dynamodb, tables.orders, [
      ...big,
      ...Array.from({ length: 50 }, (_, i) => ({ pk: { S: `s-${i}` } })),
    ]);
    // Wide: two segments of incompressible items, so its download bundle (> 8 MiB) goes multipart.
    await createTable(direct.dynamodb, { TableName: tables.wide });
    await putItems(
      direct.dynamodb,
      tables.wide,
      Array.from({ length: 36 }, (_, i) => ({ pk: { S: `w-${i}` }, noise: { B: randomBytes(280 * 1024) } })),
    );
    await createTable(direct.dynamodb, { TableName: tables.small });
    await putItems(
      direct.dynamodb,
      tables.small,
      Array.from({ length: 10 }, (_, i) => ({ pk: { S: `k-${i}` } })),
    );
    dynamoProxy.ttlTables.add(tables.orders);
    account = (await describeTable(direct.dynamodb, tables.orders)).tableArn!.split(':')[4]!;
    keyArn = `arn:aws:kms:${region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

    const storage = {
      sse: { type: 'aws:kms' as const, kmsKeyId: keyArn },
      objectLock: { mode: 'GOVERNANCE' as const, retainUntil: new Date(Date.now() + 86_400_000) },
    };

    // tables-list: what "coldkeep tables list" does.
    await as('tables-list', async () => {
      for (const name of await listTables(recording.dynamodb)) await describeTable(recording.dynamodb, name);
    });

    // backup-table: a multipart upload that fails (aborted), a backup whose manifest cannot be
    // written (finished data files deleted), and a complete backup.
    await as('backup-table', async () => {
      s3Proxy.failUploads = (url) => url.includes(`/${tables.orders}/`) && url.includes('partNumber=2');
      await assert.rejects(
        backupTable(recording, { table: tables.orders, bucket, prefix: PREFIX, segments: 1, ...storage }),
      );
      s3Proxy.failUploads = (url) => url.includes(`/${tables.small}/`) && url.includes('manifest.json');
      await assert.rejects(
        backupTable(recording, { table: tables.small, bucket, prefix: PREFIX, segments: 2, ...storage }),
      );
      s3Proxy.failUploads = undefined;
      await backupTable(recording, { table: tables.orders, bucket, prefix: PREFIX, segments: 1, ...storage });
    });

    // list-backups: "coldkeep backups list" and "backups show latest".
    await as('list-backups', async () => {
      await listBackups(recording.s3, { bucket, prefix: PREFIX });
      await planRestore(recording.s3, { bucket, prefix: PREFIX, table: tables.orders, backupId: 'latest' });
    });

    // restore: archived data files are thawed, the table is created with TTL, items written, counted.
    await as('restore', async () => {
      s3Proxy.archiveKeysContaining = '/data/';
      const report = await restoreTable(recording, {
        source: { bucket, prefix: PREFIX, table: tables.orders, backupId: 'latest' },
        target: tables.restored,
        thaw: { wait: true, pollIntervalMs: 20 },
      });
      s3Proxy.archiveKeysContaining = undefined;
      assert.equal(report.countedItems, 74);
      assert.deepEqual(report.warnings, []);
      // Item restore into the live table: conditional PutItem (an existing key is skipped), and
      // --conflict fail's GetItem check before its write.
      const source = { bucket, prefix: PREFIX, table: tables.orders, backupId: 'latest' };
      const skipped = await restoreItems(recording, { source, target: tables.restored, keys: ['{"pk":"s-1"}'] });
      assert.equal(skipped.skippedExisting, 1);
      await direct.dynamodb.send(new DeleteItemCommand({ TableName: tables.restored, Key: { pk: { S: 's-2' } } }));
      const put = await restoreItems(recording, {
        source,
        target: tables.restored,
        keys: ['{"pk":"s-2"}'],
        conflict: 'fail',
      });
      assert.equal(put.written, 1);
    });

    // drill: the latest backup of Orders into a scratch table (created, tagged, loaded, compared, deleted).
    await as('drill', async () => {
      const drill = await drillTable(recording, { table: tables.orders, bucket, prefix: PREFIX });
      assert.equal(drill.status, 'succeeded', drill.problems.join('\n'));
    });

    // restore of a backup whose data file is gone: DataFileMissing, after asking for older versions
    // (s3rver has no versioning and refuses the call; the call is made all the same).
    const broken = await backupTable(direct, { table: tables.small, bucket, prefix: PREFIX, segments: 1 });
    const brokenData = (await listKeys(direct.s3, bucket, broken.uri.slice(`s3://${bucket}/`.length))).filter((k) =>
      k.includes('/data/'),
    );
    await direct.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: brokenData[0]! }));
    await as('restore', async () => {
      await assert.rejects(
        restoreTable(recording, { source: { uri: broken.uri }, target: tables.restored, overwrite: true }),
        { code: 'DataFileMissing' },
      );
    });

    // clean-backups: "coldkeep backups gc --yes" on what a killed backup left: a data object
    // without a manifest and an open multipart upload (listed and aborted by the feature proxy:
    // s3rver answers both calls with errors).
    const leftover = `${PREFIX}/tables/${account}/${region}/${tables.small}/20200101T000000Z-gc0000/data/segment-0.json.gz`;
    await direct.s3.send(new PutObjectCommand({ Bucket: bucket, Key: leftover, Body: 'left behind' }));
    const open = await direct.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${leftover}.2` }));
    s3Proxy.openUploads = [
      { key: `${leftover}.2`, uploadId: open.UploadId!, initiated: new Date(Date.now() - 60_000) },
    ];
    await as('clean-backups', async () => {
      const gc = await collectGarbage(recording.s3, { bucket, prefix: PREFIX, olderThanSeconds: 0, dryRun: false });
      assert.equal(gc.removedObjects, 1, JSON.stringify(gc));
      assert.equal(gc.abortedUploads, 1);
    });
    s3Proxy.openUploads = undefined;

    // files: folder snapshots with the same storage options. A backup whose multipart blob fails
    // (aborted; its lock released), two snapshots (small blobs in one request, a big one
    // multipart), the listing, a restore whose blobs are archived (thawed, then read), verify
    // reading every blob, forget, and prune (its lock, the lock-state checks, the deletes).
    work = await mkdtemp(join(tmpdir(), 'coldkeep-drift-'));
    const folder = join(work, 'folder');
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeFile(join(folder, 'notes.txt'), 'first notes');
    await writeFile(join(folder, 'sub', 'small.md'), '# small');
    await writeFile(join(folder, 'big.bin'), randomBytes(6 * MiB));
    const snapshots = { bucket, prefix: PREFIX, source: 'drift-docs' };
    const folderBackup = { ...snapshots, dir: folder, multipartThreshold: 5 * MiB, partSize: 5 * MiB, ...storage };
    await as('files', async () => {
      s3Proxy.failUploads = (url) => url.includes('/blobs/') && url.includes('partNumber=2');
      await assert.rejects(backupFolder(recording, folderBackup));
      s3Proxy.failUploads = undefined;
      const first = await backupFolder(recording, folderBackup);
      await writeFile(join(folder, 'notes.txt'), 'second notes');
      await backupFolder(recording, folderBackup);
      assert.equal((await listSnapshots(recording, { bucket, prefix: PREFIX })).length, 2);
      // Small files sit in a pack, big.bin in a blob of its own: both are archived.
      s3Proxy.archiveKeysContaining = /\/(blobs|packs)\//;
      const restored = await restoreSnapshot(recording, {
        ...snapshots,
        snapshotId: first.snapshotId,
        target: join(work, 'restored'),
        wait: true,
        pollIntervalMs: 20,
      });
      s3Proxy.archiveKeysContaining = undefined;
      assert.equal(restored.thawedBlobs, 2);
      assert.equal(await readFile(join(work, 'restored', 'notes.txt'), 'utf8'), 'first notes');
      const verified = await verifySnapshot(recording, { ...snapshots, snapshotId: 'latest', readData: 'all' });
      assert.equal(verified.ok, true, JSON.stringify(verified.problems));
      // Which one is kept is not the point here (two snapshots may share a second).
      const forgot = await forgetSnapshots(recording, { ...snapshots, last: 1 });
      assert.equal(forgot.forgotten.length, 1);
      const pruned = await pruneBlobs(recording, { ...snapshots, storage });
      assert.equal(pruned.snapshots, 1);
      // An encrypted source whose key is wrapped by KMS: the wrap (GenerateDataKey), then a
      // backup and a restore that open it (Decrypt) with no passphrase.
      const sealed = { ...snapshots, source: 'drift-sealed' };
      const wrap = await addKeyWrap(recording, { ...sealed, kmsKeyId: keyArn, storage });
      assert.equal(wrap.created, true);
      const encrypted = await backupFolder(recording, { ...folderBackup, source: sealed.source });
      assert.equal(encrypted.encrypted, true);
      await restoreSnapshot(recording, { ...sealed, snapshotId: 'latest', target: join(work, 'restored-sealed') });
      assert.equal(await readFile(join(work, 'restored-sealed', 'notes.txt'), 'utf8'), 'second notes');
    });

    // drill-folder: a drill of every file of a snapshot whose blob is archived (thawed first, then
    // read), then one of the snapshot with its pack damaged (found, recorded with SSE-KMS).
    const drilled = join(work, 'drilled');
    await mkdir(drilled, { recursive: true });
    await writeFile(join(drilled, 'a.txt'), 'drilled a');
    await writeFile(join(drilled, 'b.txt'), 'drilled b');
    await writeFile(join(drilled, 'photo.jpg'), randomBytes(1536 * 1024));
    const drillSource = { bucket, prefix: PREFIX, source: 'drift-drilled' };
    await backupFolder(direct, { ...drillSource, dir: drilled, ...storage });
    await as('drill-folder', async () => {
      s3Proxy.archiveKeysContaining = '/drift-drilled/blobs/';
      const good = await drillFolder(recording, {
        ...drillSource,
        files: 'all',
        thaw: true,
        pollIntervalMs: 20,
        storage: { sse: storage.sse },
      });
      s3Proxy.archiveKeysContaining = undefined;
      assert.equal(good.status, 'succeeded', good.problems.join('\n'));
      assert.equal(good.thawed?.objects, 1);
      const [pack] = await listKeys(direct.s3, bucket, `${PREFIX}/files/drift-drilled/packs/`);
      await direct.s3.send(new PutObjectCommand({ Bucket: bucket, Key: pack!, Body: randomBytes(18) }));
      const bad = await drillFolder(recording, { ...drillSource, storage: { sse: storage.sse } });
      assert.equal(bad.status, 'failed');
      assert.ok(bad.recording.recorded.length >= 1, JSON.stringify(bad.recording));
    });

    // notify: emails after backups of several files, whose links point to a download bundle:
    // one small (PutObject), one large (multipart) whose first try fails (aborted).
    const small = await backupTable(direct, { table: tables.small, bucket, prefix: PREFIX, segments: 2, ...storage });
    const wide = await backupTable(direct, { table: tables.wide, bucket, prefix: PREFIX, segments: 2, ...storage });
    await as('notify', async () => {
      const settings = { to: ['ops@example.com'], from: FROM };
      const sent = await notifyJob(recording, settings, backupSummary(small), () =>
        backupArtefact(recording.s3, small, storage),
      );
      assert.equal(sent.sent, true, JSON.stringify(sent.error));
      assert.match(sent.link?.key ?? '', /download\//);
      s3Proxy.failUploads = (url) => url.includes('/download/') && url.includes('partNumber=2');
      const failed = await notifyJob(recording, settings, backupSummary(wide), () =>
        backupArtefact(recording.s3, wide, storage),
      );
      s3Proxy.failUploads = undefined;
      assert.ok(failed.linkError, 'the bundle upload failed, so the email went without a link');
      const large = await notifyJob(recording, settings, backupSummary(wide), () =>
        backupArtefact(recording.s3, wide, storage),
      );
      assert.equal(large.link?.key.endsWith('.json.gz'), true);
    });

    // delete-backup: "coldkeep backups delete". A locked backup is refused once its manifest is
    // read; an unlocked one, found as "latest", is deleted (manifest first, then its files).
    await backupTable(direct, { table: tables.small, bucket, prefix: PREFIX, segments: 2, sse: storage.sse });
    await as('delete-backup', async () => {
      const locked = await findBackup(recording.s3, {
        bucket,
        prefix: PREFIX,
        table: tables.orders,
        backupId: 'latest',
      });
      await assert.rejects(deleteBackup(recording.s3, locked), { code: 'BackupLocked' });
      const newest = await findBackup(recording.s3, {
        bucket,
        prefix: PREFIX,
        table: tables.small,
        backupId: 'latest',
      });
      const deleted = await deleteBackup(recording.s3, newest);
      assert.ok(deleted.deletedObjects >= 3, `manifest and two data files (${deleted.deletedObjects})`);
    });
  });

  after(async () => {
    recording?.destroy();
    direct?.destroy();
    await s3Proxy?.stop();
    await dynamoProxy?.stop();
    await emulators?.stop();
    await kms?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  // Folder snapshots read Object Lock state from HeadObject (prune); the table operations do not.
  const env = (operation: CoreOperation): AccessEnvironment => ({
    region,
    account,
    objectsKmsKeyArn: keyArn,
    headObjectReadsLockState: operation === 'files',
  });
  const policyFor = (operations: CoreOperation[]): PolicyDocument =>
    generatePolicy({
      operations,
      bucket,
      prefix: PREFIX,
      tables: [tables.orders, tables.small, tables.restored, tables.wide],
      kmsKey: keyArn,
      wrapKmsKey: keyArn,
      emailIdentity: FROM,
      objectLock: true,
      account,
      region,
    }).policy;
  const accessesOf = (operation: CoreOperation): RequiredAccess[] => {
    const unique = new Map<string, RequiredAccess>();
    for (const r of recorded.filter((x) => x.operation === operation)) {
      for (const a of accessFor(r.call, env(operation)))
        unique.set(JSON.stringify([a.action, a.resource, a.context]), a);
    }
    return [...unique.values()];
  };
  const actionsIn = (policy: PolicyDocument): string[] =>
    [...new Set(policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action!])))].sort();
  const bucketPolicy = (): PolicyDocument => {
    const values = { Bucket: bucket, Account: account, Region: region, KmsKeyId: keyArn.split('key/')[1]! };
    const parts = ['bucket-deny-insecure-transport', 'bucket-require-sse-kms'].map(
      (name) => fillSnippet(findSnippet(name)!, values).document,
    );
    return { Version: '2012-10-17', Statement: parts.flatMap((p) => p.Statement) };
  };

  test('every exercised operation made AWS calls, and every call maps to IAM access', () => {
    for (const operation of EXERCISED) {
      assert.ok(
        recorded.some((r) => r.operation === operation),
        `${operation} made calls`,
      );
      assert.ok(accessesOf(operation).length > 0);
    }
    const calls = new Set(recorded.map((r) => `${r.call.service}.${r.call.operation}`));
    for (const expected of [
      's3.AbortMultipartUpload',
      's3.DeleteObjects',
      's3.RestoreObject',
      's3.UploadPart',
      's3.DeleteObject',
      's3.HeadObject',
      'dynamodb.UpdateTimeToLive',
      'dynamodb.PutItem',
      'dynamodb.GetItem',
      'ses.SendEmail',
    ]) {
      assert.ok(calls.has(expected), `the exercise reaches ${expected} (calls: ${[...calls].sort().join(', ')})`);
    }
  });

  for (const operation of EXERCISED) {
    test(`${operation}: the SDK calls made are exactly the ones the action table declares`, () => {
      const declared = new Set(declarationOf(operation).grants.flatMap((g) => g.calls));
      const made = new Set(
        recorded.filter((r) => r.operation === operation).map((r) => `${r.call.service}.${r.call.operation}`),
      );
      assert.deepEqual([...made].filter((c) => !declared.has(c)).sort(), [], 'calls the table does not declare');
      assert.deepEqual([...declared].filter((c) => !made.has(c)).sort(), [], 'declared calls the code never made');
    });

    test(`${operation}: the generated policy allows every recorded call (simulated), with the bucket policy snippets in force`, async () => {
      const policy = policyFor([operation]);
      const denied: string[] = [];
      for (const access of accessesOf(operation)) {
        const decision = await simulate(policy, access, { account, bucketPolicy: bucketPolicy() });
        if (decision !== 'Allowed') denied.push(`${access.action} on ${access.resource} (${access.call}): ${decision}`);
      }
      assert.deepEqual(denied, []);
    });

    test(`${operation}: the generated policy grants no action the code did not call`, () => {
      const needed = [...new Set(accessesOf(operation).map((a) => a.action))].sort();
      assert.deepEqual(actionsIn(policyFor([operation])), needed);
    });
  }

  test('the policy for all exercised operations together allows all their calls and nothing more', async () => {
    const policy = policyFor(EXERCISED);
    const all = EXERCISED.flatMap(accessesOf);
    let allowed = 0;
    for (const access of all) if ((await simulate(policy, access, { account })) === 'Allowed') allowed++;
    assert.equal(allowed, all.length);
    assert.deepEqual(actionsIn(policy), [...new Set(all.map((a) => a.action))].sort());
    // Figures for the record (the test report shows them).
    console.log(
      `policy drift proof: ${recorded.length} SDK calls recorded, ${all.length} distinct IAM requests simulated, ` +
        `${actionsIn(policy).length} actions in ${policy.Statement.length} statements`,
    );
  });

  test('the proof can fail: a policy missing one action, or scoped to another prefix, is denied', async () => {
    const policy = policyFor(['backup-table']);
    const withoutAbort: PolicyDocument = {
      ...policy,
      Statement: policy.Statement.map((s) => ({
        ...s,
        Action: (s.Action as string[]).filter((a) => a !== 's3:AbortMultipartUpload'),
      })),
    };
    const accesses = accessesOf('backup-table');
    const abort = accesses.find((a) => a.action === 's3:AbortMultipartUpload')!;
    assert.equal(await simulate(withoutAbort, abort, { account }), 'ImplicitlyDenied');
    const elsewhere = generatePolicy({
      operations: ['backup-table'],
      bucket,
      prefix: 'other',
      tables: [tables.orders],
      account,
      region,
    }).policy;
    const put = accesses.find((a) => a.action === 's3:PutObject')!;
    assert.equal(await simulate(elsewhere, put, { account }), 'ImplicitlyDenied');
    // Folder snapshots: prune's lock-state read needs s3:GetObjectLegalHold of its own.
    const files = policyFor(['files']);
    const withoutLegalHold: PolicyDocument = {
      ...files,
      Statement: files.Statement.map((s) => ({
        ...s,
        Action: (s.Action as string[]).filter((a) => a !== 's3:GetObjectLegalHold'),
      })),
    };
    const hold = accessesOf('files').find((a) => a.action === 's3:GetObjectLegalHold')!;
    assert.equal(await simulate(files, hold, { account }), 'Allowed');
    assert.equal(await simulate(withoutLegalHold, hold, { account }), 'ImplicitlyDenied');
  });

  test('the generated policy lists only the prefix: s3:ListBucket is allowed for the recorded listings, denied elsewhere', async () => {
    const policy = policyFor(EXERCISED);
    const listBucket = policy.Statement.filter((s) => [s.Action].flat().includes('s3:ListBucket'));
    assert.ok(listBucket.length > 0);
    for (const s of listBucket) {
      assert.ok(
        s.Condition && JSON.stringify(s.Condition).includes('"s3:prefix"'),
        `${s.Sid}: ListBucket carries an s3:prefix condition`,
      );
    }
    const listings = EXERCISED.flatMap(accessesOf).filter(
      (a) => a.action === 's3:ListBucket' && 's3:prefix' in a.context,
    );
    assert.ok(listings.length > 0, 'the exercise lists the bucket');
    for (const a of listings) {
      assert.ok(
        a.context['s3:prefix']!.startsWith(`${PREFIX}/`),
        `listing under the prefix: ${a.context['s3:prefix']}`,
      );
      assert.equal(await simulate(policy, a, { account }), 'Allowed', a.context['s3:prefix']);
    }
    const listing = listings[0]!;
    for (const elsewhere of ['', 'other/', `${PREFIX}-other/`, 'private/drift/']) {
      const access = { ...listing, context: { ...listing.context, 's3:prefix': elsewhere } };
      assert.equal(await simulate(policy, access, { account }), 'ImplicitlyDenied', `a listing of "${elsewhere}"`);
    }
  });

  // The backup-roles stack, resolved as CloudFormation would create it for this account, region,
  // bucket, prefix and tables: each role allows exactly the recorded calls of its operations.
  const rolesOfStack = (tableNames: string[]) => {
    const resolved = resolveTemplateText(loadTemplate('backup-roles').body, {
      parameters: {
        BucketName: bucket,
        Prefix: PREFIX,
        KmsKeyArn: keyArn,
        Tables: tableNames.join(','),
        SenderIdentity: FROM,
      },
      pseudo: { 'AWS::AccountId': account, 'AWS::Region': region, 'AWS::Partition': 'aws' },
    }) as {
      Resources: Record<
        string,
        {
          Type: string;
          Metadata?: { Coldkeep?: { Operations: CoreOperation[]; Features?: string[]; Extra?: string[] } };
          Properties: { Policies: { PolicyDocument: PolicyDocument }[] };
        }
      >;
    };
    return Object.entries(resolved.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([id, r]) => {
        const policy: PolicyDocument = {
          Version: '2012-10-17',
          Statement: r.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement),
        };
        return { id, policy, ...r.Metadata!.Coldkeep! };
      });
  };
  /** The recorded requests of the operations, less those of features the role is not meant for. */
  const requestsFor = (operations: CoreOperation[], features: string[]): RequiredAccess[] => {
    const featureOnly = new Set(
      ACTION_TABLE.flatMap((d) => d.grants)
        .filter((g) => g.feature && !features.includes(g.feature))
        .map((g) => g.action),
    );
    const always = new Set(
      ACTION_TABLE.filter((d) => operations.includes(d.name))
        .flatMap((d) => d.grants)
        .filter((g) => !g.feature)
        .map((g) => g.action),
    );
    // An action both SSE-KMS and the key wraps use (kms:Decrypt) is the feature's of the call that needs it.
    const featureGrants = ACTION_TABLE.filter((d) => operations.includes(d.name))
      .flatMap((d) => d.grants)
      .filter((g) => g.feature);
    return operations.flatMap(accessesOf).filter((a) => {
      if (always.has(a.action)) return true;
      const covering = featureGrants.filter((g) => g.action === a.action && g.calls.includes(a.call));
      return covering.length ? covering.some((g) => features.includes(g.feature!)) : !featureOnly.has(a.action);
    });
  };
  const allTables = () => [tables.orders, tables.small, tables.restored, tables.wide];

  test('backup-roles stack: each role allows every call its operations make, and its policy lints clean', async () => {
    const roles = rolesOfStack(allTables());
    assert.deepEqual(roles.map((r) => r.id).sort(), ['BackupRole', 'OperatorRole']);
    for (const role of roles) {
      const denied: string[] = [];
      for (const access of requestsFor(role.Operations, role.Features ?? [])) {
        const decision = await simulate(role.policy, access, { account, bucketPolicy: bucketPolicy() });
        if (decision !== 'Allowed') denied.push(`${access.action} on ${access.resource} (${access.call}): ${decision}`);
      }
      assert.deepEqual(denied, [], role.id);
      const lint = await lintPolicy(JSON.stringify(role.policy), { kind: 'identity' });
      assert.deepEqual(
        lint.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}: ${f.message}`),
        [],
        role.id,
      );
    }
  });

  test('backup-roles stack: each role grants no action, table, prefix or listing Coldkeep does not use', async () => {
    for (const role of rolesOfStack(allTables())) {
      const requests = requestsFor(role.Operations, role.Features ?? []);
      const allowedActions = [
        ...new Set(role.policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action ?? []].flat())),
      ].sort();
      assert.deepEqual(
        allowedActions,
        [...new Set([...requests.map((a) => a.action), ...(role.Extra ?? [])])].sort(),
        `${role.id}: its actions are the recorded ones`,
      );
    }
    // The same requests on what the stack does not list are refused.
    const [only, ...others] = allTables();
    for (const role of rolesOfStack([only!])) {
      const requests = requestsFor(role.Operations, role.Features ?? []);
      const overGranted: string[] = [];
      for (const access of requests) {
        const elsewhere: RequiredAccess[] = [];
        // A table that is not listed, or a listed table in another region, account or prefix.
        const named = [only!, ...others].find((t) => access.resource.includes(`/${t}`));
        // (The operator describes every table and reads every manifest by design: tables-list, list-backups.)
        const everywhereByDesign = /^(dynamodb:Describe|s3:GetObject$)/.test(access.action);
        if (named && !everywhereByDesign) {
          elsewhere.push({ ...access, resource: access.resource.replace(`/${named}`, '/NotListed') });
          elsewhere.push({
            ...access,
            resource: access.resource.replace(`:${region}:`, ':eu-west-3:').replace(`/${region}/`, '/eu-west-3/'),
          });
        }
        if (access.resource.includes(`:::${bucket}/${PREFIX}/`)) {
          elsewhere.push({
            ...access,
            resource: access.resource.replace(`:::${bucket}/${PREFIX}/`, `:::${bucket}/other/`),
          });
        }
        if (access.action === 's3:ListBucket' && 's3:prefix' in access.context) {
          elsewhere.push({ ...access, context: { ...access.context, 's3:prefix': 'other/' } });
          elsewhere.push({ ...access, context: { ...access.context, 's3:prefix': '' } });
        }
        for (const probe of elsewhere) {
          const decision = await simulate(role.policy, probe, { account });
          if (decision === 'Allowed') {
            overGranted.push(`${role.id}: ${probe.action} on ${probe.resource} ${JSON.stringify(probe.context)}`);
          }
        }
      }
      assert.deepEqual(overGranted, []);
    }
  });

  test('the available operations are exactly the ones proven here; the others say why they are not', () => {
    assert.deepEqual(
      ACTION_TABLE.filter((d) => d.status === 'available')
        .map((d) => d.name)
        .sort(),
      [...EXERCISED].sort(),
    );
    // aws-only: their calls are checked with mocks (test/unit/tables/export/exportImportOrchestration, infra/stacks/deployStack, integration/tableDrill).
    assert.deepEqual(
      ACTION_TABLE.filter((d) => d.status !== 'available')
        .map((d) => `${d.name}: ${d.status}`)
        .sort(),
      ['backup-table-export: aws-only', 'drill-import: aws-only', 'restore-import: aws-only', 'stacks: aws-only'],
    );
  });
});
