import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AwsClients,
  listBackups,
  type RunRecord,
  type RunningEmulators,
  type SnapshotSummary,
  startEmulators,
} from '@coldkeep/shared';
import { createBucket, createTable, putItems, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';
import { startFaultProxy } from '../helpers/faultProxy';

function coldkeep(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runCli(args, { env: { ...process.env, ...env }, timeoutMs: 60_000 });
}

describe('coldkeep schedule', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let bucket: string;

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    bucket = await createBucket(clients.s3, uniqueName('schedule'));
    env = {
      COLDKEEP_SCHEDULE_DIR: await mkdtemp(join(tmpdir(), 'coldkeep-schedule-cli-')),
      COLDKEEP_BUCKET: bucket,
      COLDKEEP_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_PROFILE: '',
    };
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
  });

  test('add, list, run --all, history: a scheduled table and folder are backed up for real and the runs are kept with their reports', async () => {
    const tableName = uniqueName('scheduled');
    await createTable(clients.dynamodb, { TableName: tableName });
    await putItems(
      clients.dynamodb,
      tableName,
      Array.from({ length: 30 }, (_, i) => ({ pk: { S: `k${i}` } })),
    );

    const bad = await coldkeep(['schedule', 'add', '--table', tableName, '--cron', 'at night'], env);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /InvalidInput.*not a cron expression[\s\S]*Hint: Use five fields/);

    const added = await coldkeep(['--json', 'schedule', 'add', '--table', tableName, '--cron', '15 3 * * *'], env);
    assert.equal(added.code, 0, added.stderr);
    const source = JSON.parse(added.stdout) as { id: string };
    const folder = await mkdtemp(join(tmpdir(), 'coldkeep-schedule-folder-'));
    await mkdir(join(folder, 'letters', '2026'), { recursive: true });
    await writeFile(join(folder, 'todo.txt'), 'back up everything');
    await writeFile(join(folder, 'letters', '2026', 'bank.txt'), 'dear bank');
    await writeFile(join(folder, 'scratch.tmp'), 'left out');
    const addedFolder = await coldkeep(
      ['--json', 'schedule', 'add', '--folder', folder, '--cron', '30 */6 * * *', '--exclude', '*.tmp'],
      env,
    );
    assert.equal(addedFolder.code, 0, addedFolder.stderr);
    const folderSource = JSON.parse(addedFolder.stdout) as { id: string };

    const listed = await coldkeep(['schedule', 'list'], env);
    assert.match(listed.stdout, new RegExp(`${source.id}\\s+table\\s+${tableName}\\s+15 3 \\* \\* \\*`));
    assert.match(listed.stdout, new RegExp(`${folderSource.id}\\s+folder\\s+`));

    const due = await coldkeep(['schedule', 'run'], env);
    assert.equal(due.code, 0, due.stderr);
    assert.match(due.stdout, /Nothing was due/);

    const run = await coldkeep(['--json', 'schedule', 'run', '--all'], env);
    assert.equal(run.code, 0, run.stderr);
    const { runs } = JSON.parse(run.stdout) as { runs: RunRecord[] };
    assert.equal(runs.length, 2);
    const tableRun = runs.find((r) => r.sourceId === source.id)!;
    const folderRun = runs.find((r) => r.sourceId === folderSource.id)!;
    assert.equal(tableRun.status, 'succeeded');
    assert.equal(tableRun.result?.report.itemCount, 30);
    assert.equal(folderRun.status, 'succeeded', JSON.stringify(folderRun.error));
    assert.equal(folderRun.result?.report.files, 2, 'the *.tmp file is excluded');

    const catalog = await listBackups(clients.s3, { bucket, table: tableName });
    assert.deepEqual(
      catalog.backups.map((b) => b.backupId),
      [tableRun.result?.restorePoint],
    );
    const listedSnapshots = await coldkeep(['--json', 'files', 'snapshots', '--source', folderSource.id], env);
    assert.equal(listedSnapshots.code, 0, listedSnapshots.stderr);
    const { snapshots } = JSON.parse(listedSnapshots.stdout) as { snapshots: SnapshotSummary[] };
    assert.deepEqual(
      snapshots.map((s) => [s.snapshotId, s.files, s.bytes, s.dir]),
      [[folderRun.result?.restorePoint, 2, 'back up everything'.length + 'dear bank'.length, folder]],
    );

    const history = await coldkeep(['schedule', 'history'], env);
    assert.match(history.stdout, new RegExp(`SUCCEEDED ${tableName} \\(manual, .*\\) 30 items`));
    assert.match(history.stdout, /SUCCEEDED .* \(manual, .*\) 2 files, 27 B/);
  });

  test("a failing run exits 1 with the run's error code, and the failure is in the history", async () => {
    const added = await coldkeep(['--json', 'schedule', 'add', '--table', uniqueName('missing')], env);
    const source = JSON.parse(added.stdout) as { id: string };
    const run = await coldkeep(['--json', 'schedule', 'run', '--source', source.id], env);
    assert.equal(run.code, 1, run.stderr);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; details: { runs: RunRecord[] } } };
    assert.equal(error.code, 'NoSuchTable');
    assert.equal(error.details.runs[0]!.attempts, 1, 'a missing table is not retried');
    const history = await coldkeep(['--json', 'schedule', 'history', '--source', source.id], env);
    assert.equal((JSON.parse(history.stdout) as RunRecord[])[0]!.status, 'failed');
    const removed = await coldkeep(['schedule', 'remove', source.id], env);
    assert.equal(removed.code, 0);
    const again = await coldkeep(['schedule', 'remove', source.id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /NoSuchSource/);
  });

  test('schedule run --notify emails each finished run (SES): the failures only with --notify-on failures', async () => {
    const mailEnv = {
      ...env,
      COLDKEEP_SCHEDULE_DIR: await mkdtemp(join(tmpdir(), 'coldkeep-schedule-mail-')),
      COLDKEEP_ENDPOINT_URL_SES: emulators.endpoints.ses,
    };
    const mails = async () =>
      (
        (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
          emails: { subject: string; destination: { to: string[] }; body: { text?: string } }[];
        }
      ).emails.filter((m) => m.destination.to.includes('night-shift@example.com'));
    const tableName = uniqueName('mailed');
    await createTable(clients.dynamodb, { TableName: tableName });
    await putItems(
      clients.dynamodb,
      tableName,
      Array.from({ length: 12 }, (_, i) => ({ pk: { S: `m${i}` } })),
    );
    const good = JSON.parse((await coldkeep(['--json', 'schedule', 'add', '--table', tableName], mailEnv)).stdout) as {
      id: string;
    };
    const bad = JSON.parse(
      (await coldkeep(['--json', 'schedule', 'add', '--table', uniqueName('gone')], mailEnv)).stdout,
    ) as { id: string };
    const notify = ['--notify', 'night-shift@example.com', '--from', 'coldkeep@example.com'];

    const failuresOnly = await coldkeep(['schedule', 'run', '--all', ...notify, '--notify-on', 'failures'], mailEnv);
    assert.equal(failuresOnly.code, 1, failuresOnly.stderr);
    assert.match(failuresOnly.stdout, /Emailed night-shift@example\.com: "Coldkeep: Scheduled backup of .* FAILED/);
    let sent = await mails();
    assert.equal(sent.length, 1, 'only the failed run was emailed');
    assert.match(sent[0]!.subject, /Scheduled backup of .*gone.* FAILED \(\[NoSuchTable\]\)/);
    assert.match(sent[0]!.body.text ?? '', /Run +manual/);

    await coldkeep(['schedule', 'remove', bad.id], mailEnv);
    const all = await coldkeep(['--json', 'schedule', 'run', '--source', good.id, ...notify], mailEnv);
    assert.equal(all.code, 0, all.stderr);
    const result = JSON.parse(all.stdout) as { runs: RunRecord[]; notifications: { sent: boolean; subject: string }[] };
    assert.equal(result.runs[0]!.status, 'succeeded');
    assert.deepEqual(
      result.notifications.map((n) => n.sent),
      [true],
    );
    sent = await mails();
    assert.equal(sent.length, 2);
    assert.match(sent[1]!.subject, new RegExp(`Scheduled backup of table ${tableName} succeeded \\(12 items`));
    assert.match(sent[1]!.body.text ?? '', new RegExp(`Backup id +${result.runs[0]!.result!.restorePoint}`));

    const quiet = await coldkeep(['schedule', 'run', '--source', good.id], mailEnv);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal((await mails()).length, 2, 'no --notify, no email');
  });

  test('three schedule runs at once: each due source runs once, --all never runs one source twice at a time, and no history record is lost', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-schedule-concurrent-'));
    // Every S3 request waits a little, so that the three processes' runs overlap.
    const slowS3 = await startFaultProxy(emulators.endpoints.s3, [
      { match: {}, action: { kind: 'delay', ms: 150 }, times: 100_000 },
    ]);
    const runEnv = { ...env, COLDKEEP_SCHEDULE_DIR: dir, COLDKEEP_ENDPOINT_URL_S3: slowS3.url };
    try {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const tableName = uniqueName(`concurrent${i}`);
        await createTable(clients.dynamodb, { TableName: tableName });
        await putItems(
          clients.dynamodb,
          tableName,
          Array.from({ length: 50 }, (_, n) => ({ pk: { S: `c${n}` } })),
        );
        const folder = await mkdtemp(join(tmpdir(), `coldkeep-schedule-concurrent-${i}-`));
        for (let f = 0; f < 3; f++) await writeFile(join(folder, `file${f}.txt`), `file ${f} of folder ${i}`);
        for (const what of [
          ['--table', tableName],
          ['--folder', folder],
        ]) {
          const added = await coldkeep(['--json', 'schedule', 'add', ...what, '--cron', '0 3 * * *'], runEnv);
          assert.equal(added.code, 0, added.stderr);
          ids.push((JSON.parse(added.stdout) as { id: string }).id);
        }
      }
      // Added two days ago: today's 03:00 (or yesterday's) is due and was never run.
      const sourcesPath = join(dir, 'sources.json');
      const file = JSON.parse(await readFile(sourcesPath, 'utf8')) as { sources: { createdAt: string }[] };
      const twoDaysAgo = new Date(Date.now() - 2 * 86400_000).toISOString();
      for (const source of file.sources) source.createdAt = twoDaysAgo;
      await writeFile(sourcesPath, JSON.stringify(file));
      const history = async (): Promise<RunRecord[]> => {
        const shown = await coldkeep(['--json', 'schedule', 'history', '--limit', '1000'], runEnv);
        assert.equal(shown.code, 0, shown.stderr);
        return JSON.parse(shown.stdout) as RunRecord[];
      };
      type Output = { runs: RunRecord[]; skipped?: { sourceId: string }[] };
      const threeAtOnce = async (args: string[]): Promise<Output[]> => {
        const done = await Promise.all([0, 1, 2].map(() => coldkeep(['--json', 'schedule', 'run', ...args], runEnv)));
        for (const d of done) assert.equal(d.code, 0, d.stderr + d.stdout);
        return done.map((d) => JSON.parse(d.stdout) as Output);
      };

      // Due runs: each source once for its due time, whichever process ran it.
      const due = (await threeAtOnce([])).flatMap((o) => o.runs);
      assert.deepEqual(due.map((r) => r.sourceId).sort(), [...ids].sort(), 'each due source ran exactly once');
      assert.equal(new Set(due.map((r) => r.scheduledFor)).size, 1);
      assert.ok(
        due.every((r) => r.status === 'succeeded' && r.trigger === 'catch-up'),
        JSON.stringify(due),
      );
      const afterDue = await history();
      assert.equal(afterDue.length, due.length, 'history grew by exactly the runs');
      assert.deepEqual(
        (await threeAtOnce([])).flatMap((o) => o.runs),
        [],
        'nothing is due any more',
      );

      // Run everything now, three times at once: a source another process is running is skipped, not run again.
      const outputs = await threeAtOnce(['--all']);
      const runs = outputs.flatMap((o) => o.runs);
      for (const output of outputs) {
        const accounted = [...output.runs.map((r) => r.sourceId), ...(output.skipped ?? []).map((s) => s.sourceId)];
        assert.deepEqual(accounted.sort(), [...ids].sort(), 'each process ran or skipped each source');
      }
      assert.ok(
        runs.every((r) => r.status === 'succeeded'),
        JSON.stringify(runs.map((r) => r.error)),
      );
      const all = await history();
      assert.equal(all.length, due.length + runs.length, 'history grew by exactly the runs');
      assert.deepEqual(
        new Set(all.map((r) => r.runId)),
        new Set([...afterDue, ...runs].map((r) => r.runId)),
        'every run is in the history',
      );
      for (const id of ids) {
        const spans = all
          .filter((r) => r.sourceId === id)
          .map((r) => [Date.parse(r.startedAt), Date.parse(r.finishedAt)] as const)
          .sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < spans.length; i++) {
          assert.ok(spans[i]![0] >= spans[i - 1]![1], `two runs of source ${id} overlapped`);
        }
      }
    } finally {
      await slowS3.stop();
    }
  });
});
