import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { studentItems } from '@coldkeep/shared';
import type { HostFixture } from '../vscode/hostTests';
import { type FakeCloudFormation, startFakeCloudFormation } from './fakeCloudFormation';
import { type FakeSts, startFakeSts } from './fakeSts';
import { createTable, putItems, startTarget, type TestTarget, uniqueName } from './fixture';

export const MFA_SERIAL = 'arn:aws:iam::111122223333:mfa/alice';

/** What a VS Code under test opens: a seeded table, a workspace pointing Coldkeep at it, a HOME. */
export interface ExtensionWorkspace {
  target: TestTarget;
  sts: FakeSts;
  cloudformation: FakeCloudFormation;
  /** Temp folder holding the workspace, the HOME and whatever the caller puts there. */
  work: string;
  workspace: string;
  table: string;
  items: number;
  /** The environment VS Code runs in: its own HOME with an MFA profile, the target's keys. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * Seeds a table on the emulators (or the target in the environment, see fixture.ts) and writes a
 * workspace whose settings point Coldkeep at it, for the extension-host suite (test/vscode/) in
 * code-server (test/e2e/vscodeExtension.test.ts) or desktop VS Code (test/vscode/desktopRunner.ts).
 */
export async function prepareExtensionWorkspace(items: number): Promise<ExtensionWorkspace> {
  const target = await startTarget();
  const table = uniqueName('studentData');
  await createTable(target.clients.dynamodb, {
    TableName: table,
    KeySchema: [{ AttributeName: 'StudentId', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'StudentId', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  await putItems(target.clients.dynamodb, table, studentItems(items));

  const work = mkdtempSync(join(tmpdir(), 'coldkeep-vscode-'));
  const workspace = join(work, 'workspace');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  // STS has no emulator: a fake over HTTP answers the MFA session test's GetSessionToken.
  const sts = await startFakeSts({
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: 'fake-session-token' },
  });
  // CloudFormation has no emulator either: Deploy Stack runs against a fake over HTTP.
  const cloudformation = await startFakeCloudFormation();
  const endpoints = {
    ...(target.settings.endpoints ?? {}),
    cloudformation: cloudformation.endpoint,
  } as Record<string, string>;
  const region = target.clients.region;
  writeFileSync(
    join(workspace, '.vscode', 'settings.json'),
    JSON.stringify({
      'coldkeep.bucket': target.bucket,
      'coldkeep.region': region,
      ...(target.settings.endpoint ? { 'coldkeep.endpoint': target.settings.endpoint } : {}),
      'coldkeep.endpoints': { ...endpoints, sts: sts.endpoint },
    }),
  );
  const fixture: HostFixture = { table, items, bucket: target.bucket, endpoints, region };
  writeFileSync(join(workspace, 'coldkeep-test.json'), JSON.stringify(fixture));

  // Its own schedule folder too: the drill records the views read are written there, not in the machine's.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(work, 'home'),
    COLDKEEP_SCHEDULE_DIR: join(work, 'schedule'),
  };
  // A profile with mfa_serial, used only by the last UI test (it selects it).
  mkdirSync(join(env.HOME!, '.aws'), { recursive: true });
  writeFileSync(join(env.HOME!, '.aws', 'config'), `[profile mfa]\nregion = ${region}\nmfa_serial = ${MFA_SERIAL}\n`);
  writeFileSync(
    join(env.HOME!, '.aws', 'credentials'),
    '[mfa]\naws_access_key_id = AKIALONGTERMKEY\naws_secret_access_key = long-term-secret\n',
  );
  delete env.AWS_CONFIG_FILE;
  delete env.AWS_SHARED_CREDENTIALS_FILE;
  const keys = target.settings.credentials;
  if (keys && typeof keys === 'object') {
    env.AWS_ACCESS_KEY_ID = keys.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = keys.secretAccessKey;
    delete env.AWS_PROFILE;
    delete env.AWS_SESSION_TOKEN;
  }
  writeFileSync(
    join(workspace, 'unversioned-policy.json'),
    JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b' }] }, null, 2),
  );
  return {
    target,
    sts,
    cloudformation,
    work,
    workspace,
    table,
    items,
    env,
    stop: async () => {
      await target.stop();
      await sts.close();
      await cloudformation.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
