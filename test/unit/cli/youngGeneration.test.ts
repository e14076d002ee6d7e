// Which CLI commands restart with V8's young generation capped, and with what command line.
// That the restarted process has the cap in effect is checked through the real CLI in
// test/e2e/cliYoungGeneration.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '@coldkeep/shared/dist/cli/main';
import {
  cappedArgv,
  longJobCommand,
  nodeFlagsFor,
  SEMI_SPACE_MB_BY_COMMAND,
  semiSpaceIsSet,
} from '@coldkeep/shared/dist/cli/youngGeneration';

describe('the CLI young-generation cap', () => {
  test('every long job it names is a command of the CLI (a renamed command would silently lose the cap)', () => {
    const paths = new Set<string>();
    const walk = (command: Command, prefix: string[]): void => {
      for (const sub of command.commands) {
        const path = [...prefix, sub.name()];
        paths.add(path.join(' '));
        walk(sub, path);
      }
    };
    walk(buildProgram(), []);
    for (const name of Object.keys(SEMI_SPACE_MB_BY_COMMAND))
      assert.ok(paths.has(name), `"${name}" is not a coldkeep command`);
  });

  test('a long job restarts, wherever the global options stand', () => {
    assert.equal(longJobCommand(['files', 'backup', '/data', '--bucket', 'b']), 'files backup');
    assert.equal(longJobCommand(['--profile', 'files', '--json', 'files', 'backup', '/data']), 'files backup');
    assert.equal(longJobCommand(['--endpoint-url', 'http://x', 'restore', 'backup-id', '--bucket', 'b']), 'restore');
    assert.equal(longJobCommand(['--region', 'eu-west-1', 'backup', 'table', 'Orders']), 'backup table');
    assert.equal(longJobCommand(['demo']), 'demo');
  });

  test('a short command, help and the version start as they are', () => {
    assert.equal(longJobCommand([]), undefined);
    assert.equal(longJobCommand(['--version']), undefined);
    assert.equal(longJobCommand(['--help']), undefined);
    assert.equal(longJobCommand(['backups', 'list', '--bucket', 'b']), undefined);
    assert.equal(longJobCommand(['files', 'snapshots']), undefined);
    // "backup" alone is a group; the table is the second word.
    assert.equal(longJobCommand(['backup', '--help']), undefined);
    assert.equal(longJobCommand(['--profile', 'restore', 'tables', 'list']), undefined);
  });

  test('table backups and restores get the smaller young generation, the folder jobs the size Node 20 had', () => {
    assert.deepEqual(nodeFlagsFor('backup table'), ['--max-semi-space-size=8']);
    assert.deepEqual(nodeFlagsFor('restore'), ['--max-semi-space-size=8']);
    assert.deepEqual(nodeFlagsFor('drill table'), ['--max-semi-space-size=8']);
    assert.deepEqual(nodeFlagsFor('files restore'), ['--max-semi-space-size=16']);
    assert.deepEqual(nodeFlagsFor('backups list'), []);
  });

  test("a user's own semi-space flag, on the command line or in NODE_OPTIONS, is kept", () => {
    assert.equal(semiSpaceIsSet(['--max-semi-space-size=32'], undefined), true);
    assert.equal(semiSpaceIsSet(['--max-semi-space-size', '32'], undefined), true);
    assert.equal(semiSpaceIsSet([], '--require x.js --max-semi-space-size=8'), true);
    assert.equal(semiSpaceIsSet(['--enable-source-maps'], '--max-old-space-size=512'), false);
  });

  test("the restarted command line keeps Node's flags, the script and its arguments, the cap first", () => {
    assert.deepEqual(
      cappedArgv(
        '/bin/node',
        ['--max-semi-space-size=16'],
        ['--enable-source-maps'],
        ['node', '/x/coldkeep.js', 'files', 'backup'],
      ),
      ['/bin/node', '--max-semi-space-size=16', '--enable-source-maps', '/x/coldkeep.js', 'files', 'backup'],
    );
  });
});
