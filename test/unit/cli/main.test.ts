// The coldkeep CLI: exit codes and messages of main(argv), and how backup flags become a
// BackupTableInput. Nothing here reaches AWS: every case fails or finishes before a client is used.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { BackupTableInput } from '@coldkeep/shared';
import { buildProgram, main } from '@coldkeep/shared/dist/cli/main';
import { backupTableCommand, toBackupInput } from '@coldkeep/shared/dist/cli/commands/backupTable';

type Write = typeof process.stdout.write;

/**
 * Runs `fn` with the CLI's text output captured. Only string writes are captured: the test
 * runner reports to its parent through stdout with binary chunks, which pass through.
 */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write;
  const realErr = process.stderr.write;
  const hook = (sink: string[], real: Write, stream: NodeJS.WriteStream): Write =>
    ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') {
        sink.push(chunk);
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
      return (real as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as Write;
  process.stdout.write = hook(out, realOut, process.stdout);
  process.stderr.write = hook(err, realErr, process.stderr);
  try {
    const result = await fn();
    return { result, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
}

const ENV_KEYS = ['COLDKEEP_BUCKET', 'COLDKEEP_PREFIX', 'COLDKEEP_ENDPOINT_URL', 'COLDKEEP_DEBUG'] as const;
let savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string | undefined>>;

beforeEach(() => {
  savedEnv = {};
  for (const key of ENV_KEYS) {
    savedEnv[key] = process.env[key];
    delete process.env[key];
  }
});

afterEach(() => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

const run = (...args: string[]) => captured(() => main(['node', 'coldkeep', ...args]));

describe('coldkeep main(argv)', () => {
  test('--help prints usage and exits 0', async () => {
    const { result, stdout } = await run('--help');
    assert.equal(result, 0);
    assert.match(stdout, /Usage: coldkeep/);
    for (const command of ['tables', 'backup', 'backups', 'restore', 'demo'])
      assert.match(stdout, new RegExp(`\\b${command}\\b`));
  });

  test('"backup table --help" exits 0 and lists the storage flags', async () => {
    const { result, stdout } = await run('backup', 'table', '--help');
    assert.equal(result, 0);
    for (const flag of [
      '--bucket',
      '--segments',
      '--sse',
      '--kms-key-id',
      '--lock-mode',
      '--lock-until',
      '--lock-days',
      '--no-lifecycle-tag',
    ]) {
      assert.ok(stdout.includes(flag), `${flag} missing from help`);
    }
  });

  test('--version prints the version and exits 0', async () => {
    const { result, stdout } = await run('--version');
    assert.equal(result, 0);
    assert.equal(stdout.trim(), '0.1.0');
  });

  test('an unknown command is a usage error (2)', async () => {
    const { result, stderr } = await run('frobnicate');
    assert.equal(result, 2);
    assert.match(stderr, /unknown command 'frobnicate'/);
  });

  test('an unknown option is a usage error (2)', async () => {
    const { result, stderr } = await run('backup', 'table', 'T', '--bucket', 'b', '--bogus');
    assert.equal(result, 2);
    assert.match(stderr, /unknown option '--bogus'/);
  });

  test('--segments 0 is a usage error (2) saying what is expected', async () => {
    const { result, stderr } = await run('backup', 'table', 'T', '--bucket', 'b', '--segments', '0');
    assert.equal(result, 2);
    assert.match(stderr, /--segments/);
    assert.match(stderr, /Error \[FlagOutOfRange\]: --segments takes a whole number from 1 to 1,000,000; got "0"/);
  });

  test('--sse with an unknown type is a usage error (2)', async () => {
    const { result, stderr } = await run('backup', 'table', 'T', '--bucket', 'b', '--sse', 'aws:kms:dsse');
    assert.equal(result, 2);
    assert.match(stderr, /AES256, aws:kms/);
  });

  test('a missing table argument is a usage error (2)', async () => {
    const { result, stderr } = await run('backup', 'table', '--bucket', 'b');
    assert.equal(result, 2);
    assert.match(stderr, /missing required argument 'table'/);
  });

  test('"backup table T" with no bucket and no COLDKEEP_BUCKET exits 2 with the hint on stderr', async () => {
    const { result, stdout, stderr } = await run('backup', 'table', 'T');
    assert.equal(result, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^Error \[InvalidInput\]: No bucket given\.$/m);
    assert.match(stderr, /^Hint: Pass --bucket NAME or set COLDKEEP_BUCKET\.$/m);
  });

  test('with --json the same error is JSON on stdout', async () => {
    const { result, stdout } = await run('--json', 'backup', 'table', 'T');
    assert.equal(result, 2);
    assert.deepEqual(JSON.parse(stdout), {
      ok: false,
      error: { code: 'InvalidInput', message: 'No bucket given.', hint: 'Pass --bucket NAME or set COLDKEEP_BUCKET.' },
    });
  });

  test('flag combinations refused by toBackupInput exit 2 and say why', async () => {
    // These InvalidArgumentErrors are thrown from the action, after commander has parsed the
    // flags, so commander has not printed them; main must.
    const cases: [string[], RegExp][] = [
      [
        ['--lock-days', '3'],
        /--lock-until\/--lock-days need --lock-mode\.\nHint: Add --lock-mode GOVERNANCE or --lock-mode COMPLIANCE/,
      ],
      [
        ['--lock-mode', 'COMPLIANCE'],
        /--lock-mode needs a retention period\.\nHint: Add --lock-until DATE or --lock-days N/,
      ],
      [['--sse', 'AES256', '--kms-key-id', 'k'], /--kms-key-id goes with --sse aws:kms/],
    ];
    for (const [flags, message] of cases) {
      const { result, stderr } = await run('backup', 'table', 'T', '--bucket', 'b', ...flags);
      assert.equal(result, 2, flags.join(' '));
      assert.match(stderr, message, `${flags.join(' ')}: stderr was ${JSON.stringify(stderr)}`);
    }
  });

  test('start-up loads the command definitions only: no AWS SDK, zod, policy, schedule or folder code', () => {
    // A fresh process: this test process has loaded the whole core already.
    const script = `require(${JSON.stringify(require.resolve('@coldkeep/shared/dist/cli/main'))}).buildProgram();
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    const heavy = loaded.filter(
      (path) =>
        /node_modules[\\/](@aws-sdk|@smithy|zod|yaml|croner|ignore)[\\/]/.test(path) ||
        /dist[\\/](aws[\\/]clients|files|backup|catalog|restore|tables|export|demo|stacks|session|notify[\\/]notifyJob)/.test(
          path,
        ),
    );
    assert.deepEqual(heavy, []);
    assert.ok(
      loaded.some((path) => path.includes('filesBackup')),
      'the command definitions are loaded',
    );
  });

  test('buildProgram has the documented command tree', () => {
    const program = buildProgram();
    const tree = program.commands.map((c) => [c.name(), c.commands.map((s) => s.name()).sort()]);
    assert.deepEqual(Object.fromEntries(tree), {
      tables: ['list'],
      backup: ['table'],
      backups: ['delete', 'gc', 'list', 'show', 'verify'],
      restore: [],
      files: ['backup', 'forget', 'key', 'ls', 'prune', 'restore', 'snapshots', 'unlock', 'verify'],
      demo: [],
      drill: ['folder', 'table'],
      export: ['table'],
      session: ['clear', 'start', 'status'],
      policy: ['generate', 'lint', 'snippets'],
      stack: ['delete', 'deploy', 'status', 'templates'],
      schedule: ['add', 'history', 'list', 'remove', 'run'],
    });
  });
});

describe('toBackupInput', () => {
  const NOW = new Date('2026-11-22T12:00:00.000Z');

  /** Parses argv with the real "backup table" command, then turns its flags into input. */
  async function parse(...args: string[]): Promise<BackupTableInput> {
    let input: BackupTableInput | undefined;
    const command = backupTableCommand(() => {
      throw new Error('the context is not needed to build the input');
    });
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    command.action((table: string, flags: Parameters<typeof toBackupInput>[1]) => {
      input = toBackupInput(table, flags, NOW);
    });
    await command.parseAsync(args, { from: 'user' });
    assert.ok(input, 'the action did not run');
    return input;
  }

  test('only the table and bucket when no flags are given', async () => {
    assert.deepEqual(await parse('Orders', '--bucket', 'bkt'), { table: 'Orders', bucket: 'bkt' });
  });

  test('bucket and prefix from COLDKEEP_BUCKET / COLDKEEP_PREFIX; flags win', async () => {
    process.env.COLDKEEP_BUCKET = 'env-bucket';
    process.env.COLDKEEP_PREFIX = 'env/prefix';
    assert.deepEqual(await parse('T'), { table: 'T', bucket: 'env-bucket', prefix: 'env/prefix' });
    assert.deepEqual(await parse('T', '--bucket', 'b', '--prefix', ''), { table: 'T', bucket: 'b', prefix: '' });
  });

  test('scan flags', async () => {
    const input = await parse(
      'T',
      '--bucket',
      'b',
      '--segments',
      '16',
      '--concurrency',
      '4',
      '--consistent',
      '--read-fraction',
      '0.25',
      '--read-units',
      '300',
    );
    assert.deepEqual(input, {
      table: 'T',
      bucket: 'b',
      segments: 16,
      concurrency: 4,
      consistentRead: true,
      readFraction: 0.25,
      readUnitsPerSecond: 300,
    });
  });

  test('engine flags: --engine, --incremental, --at and --auto-threshold reach the core input', async () => {
    const input = await parse(
      'T',
      '--bucket',
      'b',
      '--engine',
      'export',
      '--incremental',
      '--at',
      '2026-11-20T10:00:00Z',
      '--auto-threshold',
      '2GiB',
    );
    assert.deepEqual(input, {
      table: 'T',
      bucket: 'b',
      engine: 'export',
      incremental: true,
      at: new Date('2026-11-20T10:00:00Z'),
      autoThresholdBytes: 2 * 1024 ** 3,
    });
    assert.equal((await parse('T', '--bucket', 'b', '--auto-threshold', '500MB')).autoThresholdBytes, 500_000_000);
    await assert.rejects(parse('T', '--bucket', 'b', '--engine', 'fast'));
    await assert.rejects(parse('T', '--bucket', 'b', '--auto-threshold', 'ten'));
  });

  test('lock flags: --lock-until is a date, --lock-days counts from now', async () => {
    const until = await parse('T', '--bucket', 'b', '--lock-mode', 'COMPLIANCE', '--lock-until', '2030-01-31');
    assert.equal(until.objectLock?.mode, 'COMPLIANCE');
    assert.equal(until.objectLock?.retainUntil.toISOString(), '2030-01-31T00:00:00.000Z');
    const days = await parse('T', '--bucket', 'b', '--lock-mode', 'GOVERNANCE', '--lock-days', '30');
    assert.equal(days.objectLock?.mode, 'GOVERNANCE');
    assert.equal(days.objectLock?.retainUntil.toISOString(), '2026-12-22T12:00:00.000Z');
  });

  test('lock flags that do not go together are refused', async () => {
    await assert.rejects(parse('T', '--bucket', 'b', '--lock-days', '3'), /--lock-until\/--lock-days need --lock-mode/);
    await assert.rejects(parse('T', '--bucket', 'b', '--lock-until', '2030-01-01'), /need --lock-mode/);
    await assert.rejects(
      parse('T', '--bucket', 'b', '--lock-mode', 'COMPLIANCE'),
      /--lock-mode needs a retention period/,
    );
    await assert.rejects(parse('T', '--bucket', 'b', '--lock-mode', 'LEGAL_HOLD', '--lock-days', '1'), /LEGAL_HOLD/);
    await assert.rejects(
      parse('T', '--bucket', 'b', '--lock-mode', 'COMPLIANCE', '--lock-until', 'next tuesday'),
      /ISO 8601/,
    );
  });

  test('sse flags', async () => {
    assert.deepEqual((await parse('T', '--bucket', 'b', '--sse', 'AES256')).sse, { type: 'AES256' });
    assert.deepEqual((await parse('T', '--bucket', 'b', '--sse', 'aws:kms')).sse, { type: 'aws:kms' });
    assert.deepEqual((await parse('T', '--bucket', 'b', '--sse', 'aws:kms', '--kms-key-id', 'alias/backups')).sse, {
      type: 'aws:kms',
      kmsKeyId: 'alias/backups',
    });
    // A key id alone implies aws:kms.
    assert.deepEqual((await parse('T', '--bucket', 'b', '--kms-key-id', 'alias/backups')).sse, {
      type: 'aws:kms',
      kmsKeyId: 'alias/backups',
    });
    await assert.rejects(
      parse('T', '--bucket', 'b', '--sse', 'AES256', '--kms-key-id', 'k'),
      /--kms-key-id goes with --sse aws:kms/,
    );
    assert.equal((await parse('T', '--bucket', 'b')).sse, undefined);
  });

  test('lifecycle tag flags: default untouched, custom KEY=VALUE, --no-lifecycle-tag → null', async () => {
    assert.equal('lifecycleTag' in (await parse('T', '--bucket', 'b')), false);
    assert.deepEqual((await parse('T', '--bucket', 'b', '--lifecycle-tag', 'tier=deep')).lifecycleTag, {
      key: 'tier',
      value: 'deep',
    });
    assert.deepEqual((await parse('T', '--bucket', 'b', '--lifecycle-tag', 'keep=')).lifecycleTag, {
      key: 'keep',
      value: '',
    });
    assert.equal((await parse('T', '--bucket', 'b', '--no-lifecycle-tag')).lifecycleTag, null);
    await assert.rejects(parse('T', '--bucket', 'b', '--lifecycle-tag', 'novalue'), /expected KEY=VALUE/);
    await assert.rejects(parse('T', '--bucket', 'b', '--lifecycle-tag', 'a=b=c'), /expected KEY=VALUE/);
  });

  test('toBackupInput called directly: no bucket anywhere is InvalidInput', () => {
    assert.throws(() => toBackupInput('T', {}, NOW), { code: 'InvalidInput', message: 'No bucket given.' });
    assert.deepEqual(toBackupInput('T', { bucket: 'b', lifecycleTag: false }, NOW), {
      table: 'T',
      bucket: 'b',
      lifecycleTag: null,
    });
  });
});
