// `coldkeep drill table`, and drills on a schedule, run as a user would (the real CLI in a child
// process) against dynalite, s3rver and aws-ses-v2-local over HTTP; the fault proxy changes an
// item on its way into the scratch table where a drill must fail.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AwsClients,
  type DrillTableReport,
  type RunRecord,
  type RunningEmulators,
  startEmulators,
} from '@coldkeep/shared';
import { createBucket, createTable, embeddedOnly, putItems, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';

embeddedOnly(describe)('coldkeep drill', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let proxy: FaultProxy;
  let env: NodeJS.ProcessEnv;
  const coldkeep = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    runCli(args, { env: { ...process.env, ...env, ...extra }, timeoutMs: 90_000 });

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    proxy = await startFaultProxy(emulators.endpoints.dynamodb);
    env = {
      COLDKEEP_BUCKET: await createBucket(clients.s3, uniqueName('drill-cli')),
      COLDKEEP_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      COLDKEEP_ENDPOINT_URL_SES: emulators.endpoints.ses,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_PROFILE: '',
    };
  });
  after(async () => {
    clients?.destroy();
    await proxy?.stop();
    await emulators?.stop();
  });

  async function backedUp(): Promise<string> {
    const table = uniqueName('drill-cli');
    await createTable(clients.dynamodb, { TableName: table });
    await putItems(
      clients.dynamodb,
      table,
      Array.from({ length: 50 }, (_, i) => ({ pk: { S: `d${i}` }, n: { N: String(i) } })),
    );
    const run = await coldkeep(['backup', 'table', table]);
    assert.equal(run.code, 0, run.stderr);
    return table;
  }
  /** The drill goes through the fault proxy, which changes the first item it writes. */
  const throughProxy = (): NodeJS.ProcessEnv => {
    proxy.setRules([{ match: { operation: 'BatchWriteItem' }, action: { kind: 'changeItem' }, times: 1 }]);
    return { COLDKEEP_ENDPOINT_URL_DYNAMODB: proxy.url };
  };

  test('drill table --json: the report, exit 0; backups list goes from "never verified" to verified with the restore time', async () => {
    const table = await backedUp();
    const dir = { COLDKEEP_SCHEDULE_DIR: await mkdtemp(join(tmpdir(), 'coldkeep-drill-cli-')) };
    const before = await coldkeep(['backups', 'list', '--table', table], dir);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, new RegExp(`${table}\\s+never verified\\s+needs attention: never verified$`, 'm'));

    const run = await coldkeep(['--json', 'drill', 'table', table], dir);
    assert.equal(run.code, 0, run.stderr);
    const { ok, drill } = JSON.parse(run.stdout) as { ok: boolean; drill: DrillTableReport };
    assert.equal(ok, true);
    assert.equal(drill.status, 'succeeded');
    assert.equal(drill.itemsCompared, 50);
    assert.equal(drill.itemsExpected, 50);
    assert.equal(drill.mismatches, 0);
    assert.equal(drill.scratchDeleted, true);
    assert.match(drill.scratchTable, new RegExp(`^coldkeep-drill-${table}-`));
    assert.equal(typeof drill.restoreMs, 'number');

    const listed = await coldkeep(['backups', 'list', '--table', table], dir);
    assert.match(
      listed.stdout,
      new RegExp(`${table}\\s+verified \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ, restore \\S+ m?s\\s+protected$`, 'm'),
    );
    const json = JSON.parse((await coldkeep(['--json', 'backups', 'list', '--table', table], dir)).stdout) as {
      statuses: Record<string, { state: string; lastVerified?: { restoreMs?: number; restorePoint?: string } }>;
    };
    assert.equal(json.statuses[table]?.state, 'protected');
    assert.equal(json.statuses[table]?.lastVerified?.restoreMs, drill.restoreMs);
    assert.equal(json.statuses[table]?.lastVerified?.restorePoint, drill.backupId);
  });

  test('a drill that finds an item other than the backup holds exits 1 (DrillFailed) naming its key; lists show it failed', async () => {
    const table = await backedUp();
    const dir = { COLDKEEP_SCHEDULE_DIR: await mkdtemp(join(tmpdir(), 'coldkeep-drill-cli-')) };
    const text = await coldkeep(['drill', 'table', table], { ...dir, ...throughProxy() });
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /Drill of .* FAILED/);
    assert.match(text.stdout, /changed +\{"pk":"d\d+"\}/);
    assert.match(text.stderr, /Error \[DrillFailed\]: .*differ from the backup's files: \{"pk":"d\d+"\} \(changed\)/);

    const json = await coldkeep(['--json', 'drill', 'table', table], { ...dir, ...throughProxy() });
    assert.equal(json.code, 1);
    const error = (
      JSON.parse(json.stdout) as { ok: boolean; error: { code: string; details: { drill: DrillTableReport } } }
    ).error;
    assert.equal(error.code, 'DrillFailed');
    assert.equal(error.details.drill.mismatches, 1);
    assert.match(error.details.drill.firstMismatches[0]!.key, /^\{"pk":"d\d+"\}$/);
    const listed = await coldkeep(['backups', 'list', '--table', table], dir);
    assert.match(
      listed.stdout,
      new RegExp(`${table}\\s+drill FAILED .*; never verified\\s+failing: last drill failed, never verified$`, 'm'),
    );
  });

  test('a scheduled drill (schedule add --drill weekly) that fails is emailed through SES and shown failed in schedule list', async () => {
    const table = await backedUp();
    const dir = { COLDKEEP_SCHEDULE_DIR: await mkdtemp(join(tmpdir(), 'coldkeep-drill-schedule-')) };
    const added = await coldkeep(['--json', 'schedule', 'add', '--table', table, '--drill', 'weekly'], dir);
    assert.equal(added.code, 0, added.stderr);
    const sources = JSON.parse(added.stdout) as {
      id: string;
      drillSource: { id: string; cron: string; drill: boolean };
    };
    assert.equal(sources.drillSource.drill, true);
    assert.equal(sources.drillSource.cron, '0 4 * * 0');

    const to = `drills-${uniqueName('ops')}@example.com`;
    const notify = ['--notify', to, '--from', 'coldkeep@example.com', '--notify-on', 'failures'];
    const run = await coldkeep(['--json', 'schedule', 'run', '--source', sources.drillSource.id, ...notify], {
      ...dir,
      ...throughProxy(),
    });
    assert.equal(run.code, 1, run.stderr);
    const failed = (JSON.parse(run.stdout) as { error: { code: string; details: { runs: RunRecord[] } } }).error;
    assert.equal(failed.code, 'DrillFailed');
    assert.equal(failed.details.runs[0]!.drill, true);
    assert.equal(failed.details.runs[0]!.attempts, 1, 'a failed drill is not retried');

    const mails = (
      (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
        emails: { subject: string; destination: { to: string[] }; body: { text?: string } }[];
      }
    ).emails.filter((m) => m.destination.to.includes(to));
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.subject, /Scheduled restore drill \(drill of .*\) FAILED \(\[DrillFailed\]\)/);
    assert.match(mails[0]!.body.text ?? '', /differ from the backup's files: \{"pk":"d\d+"\}/);

    const listed = await coldkeep(['schedule', 'list'], dir);
    assert.match(
      listed.stdout,
      new RegExp(`${sources.drillSource.id}\\s+table drill\\s+${table}\\s+0 4 \\* \\* 0\\s+\\S+\\s+drill FAILED`),
    );
  });
});
