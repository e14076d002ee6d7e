import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  awsSetup,
  ColdkeepError,
  errorFixes,
  fromAwsError,
  getCallerIdentity,
  lintPolicy,
  listAwsProfiles,
  placeholderFills,
  settingToken,
} from '@coldkeep/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { installFakeVscode } from '../helpers/fakeVscode';

const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const errorActions =
  require('coldkeep-vscode/out/ui/errorActions') as typeof import('coldkeep-vscode/out/ui/errorActions');
const picker = require('coldkeep-vscode/out/ui/profilePicker') as typeof import('coldkeep-vscode/out/ui/profilePicker');
const statusBar = require('coldkeep-vscode/out/ui/statusBar') as typeof import('coldkeep-vscode/out/ui/statusBar');
const jobs = require('coldkeep-vscode/out/jobs/runJob') as typeof import('coldkeep-vscode/out/jobs/runJob');
/* eslint-enable @typescript-eslint/no-require-imports */

const dir = mkdtempSync(join(tmpdir(), 'coldkeep-setup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** AWS files of their own, and an environment with nothing else in it. */
function awsFiles(config: string, credentials = ''): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(dir, 'home-'));
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'config'), config);
  writeFileSync(join(home, '.aws', 'credentials'), credentials);
  return {
    AWS_CONFIG_FILE: join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
  };
}

describe('AWS setup, without a network call', () => {
  test('nothing set up is MissingCredentials; a default profile, keys, a named profile or an endpoint is ready', async () => {
    const none = awsFiles('');
    const missing = await awsSetup({}, none);
    assert.equal(missing.ready, false);
    assert.equal(missing.problem?.code, 'MissingCredentials');
    assert.deepEqual(missing.problem?.settings, ['profile']);
    assert.deepEqual(await awsSetup({}, { ...none, AWS_ACCESS_KEY_ID: 'AKIA' }), { ready: true, via: 'environment' });
    assert.deepEqual(await awsSetup({ endpoint: 'http://127.0.0.1:4566' }, none), { ready: true, via: 'endpoint' });
    const files = awsFiles(
      '[default]\nregion = eu-west-1\n[profile prod]\nregion = us-east-2\nmfa_serial = arn:aws:iam::1:mfa/a\n',
    );
    assert.deepEqual(await awsSetup({}, files), { ready: true, via: 'profile', profile: 'default' });
    assert.deepEqual(await awsSetup({ profile: 'prod' }, files), { ready: true, via: 'profile', profile: 'prod' });
    const typo = await awsSetup({ profile: 'prdo' }, files);
    assert.equal(typo.ready, false);
    assert.equal(typo.problem?.code, 'NoSuchProfile');
    assert.deepEqual(await listAwsProfiles(files), [
      { name: 'default', region: 'eu-west-1', mfa: false },
      { name: 'prod', region: 'us-east-2', mfa: true },
    ]);
  });

  test('the credentials are checked with STS GetCallerIdentity, and a refusal is a coded error', async () => {
    const sts = mockClient(STSClient);
    try {
      sts
        .on(GetCallerIdentityCommand)
        .resolves({ Account: '111122223333', Arn: 'arn:aws-cn:iam::111122223333:user/a' });
      const settings = { region: 'cn-north-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
      assert.deepEqual(await getCallerIdentity(settings), {
        account: '111122223333',
        arn: 'arn:aws-cn:iam::111122223333:user/a',
        partition: 'aws-cn',
        region: 'cn-north-1',
      });
      sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('expired'), { name: 'ExpiredToken' }));
      await assert.rejects(
        getCallerIdentity(settings),
        (e: unknown) => e instanceof ColdkeepError && e.code === 'ExpiredCredentials',
      );
    } finally {
      sts.restore();
    }
  });
});

describe('a failure offers the action that fixes it', () => {
  test('from the code and the settings its hint names', () => {
    const kinds = (err: ColdkeepError): string[] =>
      errorFixes(err).map((f) => (f.kind === 'openSetting' ? `openSetting:${f.setting}` : f.kind));
    const missing = fromAwsError(Object.assign(new Error('x'), { name: 'CredentialsProviderError' }), {
      doing: 'list tables',
    }) as ColdkeepError;
    assert.deepEqual(kinds(missing), ['configureProfile', 'startDemo']);
    const region = new ColdkeepError('RegionMismatch', 'The bucket is elsewhere.', {
      hint: `Set ${settingToken('region', 'eu-west-1')}.`,
    });
    assert.deepEqual(kinds(region), ['openSetting:region']);
    assert.deepEqual(kinds(new ColdkeepError('ExpiredCredentials', 'Expired.')), ['startSession']);
    assert.deepEqual(kinds(new ColdkeepError('ChecksumMismatch', 'Damaged.')), []);
  });

  test('as VS Code buttons: Configure Profile, Open Settings on the exact setting, Start Local Demo', async () => {
    const missing = new ColdkeepError('MissingCredentials', 'No credentials.', {
      hint: `Choose one in ${settingToken('profile')}.`,
    });
    assert.deepEqual(
      errorActions.errorActions(missing).map((a) => a.title),
      ['Configure Profile', 'Start Local Demo'],
    );
    const endpoint = new ColdkeepError('EndpointUnreachable', 'Cannot reach S3.', {
      hint: `Check ${settingToken('endpoint')}.`,
    });
    assert.deepEqual(errorActions.errorActions(endpoint)[0], {
      title: 'Open Settings',
      command: 'workbench.action.openSettings',
      args: ['coldkeep.endpoint'],
    });
    fake.messages.length = 0;
    await jobs.showError(missing, 'Deploy stack');
    assert.deepEqual(fake.messages, [
      { level: 'error', text: 'Deploy stack failed: No credentials. Choose one in the setting coldkeep.profile.' },
    ]);
  });
});

describe('placeholders filled from the account', () => {
  test('<AWS_ACCOUNT_ID>, {{Region}} and ${AWS::AccountId} get the account and region; others are left', async () => {
    const text = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::<AWS_ACCOUNT_ID>:root' },
          Action: 'kms:Decrypt',
          Resource: ['arn:aws:kms:{{Region}}:<AWS_ACCOUNT_ID>:key/<KEY_ID>', 'arn:aws:s3:::${AWS::AccountId}-b'],
        },
      ],
    });
    const findings = (await lintPolicy(text, { fileName: 'p.json' })).findings.filter((f) => f.code === 'Placeholder');
    assert.ok(findings.length >= 2, findings.map((f) => f.message).join(' | '));
    const values = { account: '111122223333', region: 'eu-west-1' };
    const principal = findings.find((f) => text.slice(f.start, f.end).includes(':root'))!;
    const [fill] = placeholderFills(text, principal.start, principal.end, values);
    assert.equal(fill?.placeholder, '<AWS_ACCOUNT_ID>');
    assert.equal(fill.edits.length, 2, 'every place the policy writes it');
    const key = findings.find((f) => text.slice(f.start, f.end).includes('key/'))!;
    assert.deepEqual(
      placeholderFills(text, key.start, key.end, values).map((f) => [f.placeholder, f.value]),
      [
        ['{{Region}}', 'eu-west-1'],
        ['<AWS_ACCOUNT_ID>', '111122223333'],
      ],
    );
    assert.deepEqual(placeholderFills('"<KEY_ID>"', 0, 10, values), []);
    assert.equal(
      placeholderFills(text, 0, text.length, values).find((f) => f.placeholder === '${AWS::AccountId}')?.value,
      '111122223333',
    );
  });
});

describe('status bar and profile picker', () => {
  test('the status bar shows the local demo; the picker lists the profiles, then the demo and the settings', () => {
    assert.match(
      statusBar.connectionLabel({ ready: true, demo: true, profile: 'default', region: 'us-east-1' }).text,
      /local demo · us-east-1/,
    );
    const items = picker.profileItems(
      [
        { name: 'default', region: 'eu-west-1', mfa: false },
        { name: 'prod', mfa: true },
      ],
      { profile: 'prod', mfa: true, demo: false },
    );
    const labels = items.map((i) => i.label);
    assert.deepEqual(labels.slice(0, 3), ['$(key) Enter an MFA Code…', 'default', 'prod']);
    assert.match(items[2]!.description!, /MFA · in use/);
    assert.ok(labels.includes('$(beaker) Start the Local Demo'));
    const empty = picker.profileItems([], { mfa: false, demo: true }).map((i) => i.label);
    assert.ok(empty.includes('$(terminal) Create a Profile…'));
    assert.ok(!empty.includes('$(beaker) Start the Local Demo'), 'no demo entry while it runs');
  });
});
