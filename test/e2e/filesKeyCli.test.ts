// The real `coldkeep files key …` commands and an encrypted source's passphrase as a child
// process against the emulators: the first wrap says plainly that losing every wrap loses the
// data, a wrong passphrase or none is refused with its code (exit 1), the passphrase never
// appears in the output, and the last wrap is never removed.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AwsClients, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { createBucket, uniqueName } from '../helpers/fixture';
import { type CliRun, runCli } from '../helpers/cli';

const PASS = 'tr0ub4dor & 3 horses';

describe('coldkeep files key', () => {
  let emulators: RunningEmulators;
  let clients: AwsClients;
  let env: NodeJS.ProcessEnv;
  let work: string;
  let src: string;
  const source = uniqueName('vault');
  const coldkeep = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    runCli(args, { env: { ...process.env, ...env, ...extra } });

  before(async () => {
    emulators = await startEmulators();
    clients = new AwsClients(emulators.settings);
    const bucket = await createBucket(clients.s3, uniqueName('files-key-cli'));
    env = {
      COLDKEEP_ENDPOINT_URL_S3: emulators.endpoints.s3,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      COLDKEEP_BUCKET: bucket,
      COLDKEEP_PREFIX: 'cli',
      COLDKEEP_PASSPHRASE: '',
    };
    work = await mkdtemp(join(tmpdir(), 'coldkeep-files-key-cli-'));
    src = join(work, 'vault');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'a.txt'), 'alpha');
    await writeFile(join(work, 'pass.txt'), `${PASS}\n`);
  });
  after(async () => {
    clients?.destroy();
    await emulators?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('key add, an encrypted backup and restore, wrong and missing passphrases, key remove', async () => {
    const none = await coldkeep(['files', 'key', 'list', '--source', source]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /not encrypted/);

    const add = await coldkeep([
      'files',
      'key',
      'add',
      '--source',
      source,
      '--new-passphrase-file',
      join(work, 'pass.txt'),
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /WARNING: .*lost for good/);
    assert.match(add.stdout, /pass-[0-9a-f]{8}/);

    const backup = await coldkeep(['--json', 'files', 'backup', src, '--source', source], {
      COLDKEEP_PASSPHRASE: PASS,
    });
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal((JSON.parse(backup.stdout) as { snapshot: { encrypted: boolean } }).snapshot.encrypted, true);

    const missing = await coldkeep(['files', 'restore', 'latest', '--source', source, '--target', join(work, 'o1')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /KeyRequired/);
    assert.match(missing.stderr, /--passphrase-file/);

    const wrong = await coldkeep(
      ['--json', 'files', 'restore', 'latest', '--source', source, '--target', join(work, 'o2')],
      {
        COLDKEEP_PASSPHRASE: 'not it',
      },
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout + wrong.stderr, /WrongKey/);
    assert.ok(!(wrong.stdout + wrong.stderr).includes('not it'), 'the passphrase is never printed');

    const out = join(work, 'o3');
    const restore = await coldkeep([
      'files',
      'restore',
      'latest',
      '--source',
      source,
      '--target',
      out,
      '--passphrase-file',
      join(work, 'pass.txt'),
    ]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(await readFile(join(out, 'a.txt'), 'utf8'), 'alpha');
    assert.ok(!(restore.stdout + restore.stderr + backup.stdout + backup.stderr).includes(PASS));

    const list = await coldkeep(['--json', 'files', 'key', 'list', '--source', source]);
    const wraps = (JSON.parse(list.stdout) as { keys: { wraps: { id: string }[] } }).keys.wraps;
    assert.equal(wraps.length, 1);
    const last = await coldkeep(['files', 'key', 'remove', wraps[0]!.id, '--source', source], {
      COLDKEEP_PASSPHRASE: PASS,
    });
    assert.equal(last.code, 1);
    assert.match(last.stderr, /LastKeyWrap/);
  });
});
