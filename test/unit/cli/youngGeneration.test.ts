// Which CLI commands restart with V8's young generation capped, and with what command line.
// That the restarted process has the cap in effect is checked through the real CLI in
// test/e2e/cliYoungGeneration.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '@coldkeep/shared/dist/cli/main';
import {
  cappedArgv,
  LONG_JOB_COMMANDS,
  runsALongJob,
  SEMI_SPACE_MB,
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
    for (const name of LONG_JOB_COMMANDS) assert.ok(paths.has(name), `"${name}" is not a coldkeep command`);
  });

  test('a long job restarts, wherever the global options stand', () => {
    assert.equal(runsALongJob(['files', 'backup', '/data', '--bucket', 'b']), true);
    assert.equal(runsALongJob(['--profile', 'files', '--json', 'files', 'backup', '/data']), true);
    assert.equal(runsALongJob(['--endpoint-url', 'http://x', 'restore', 'backup-id', '--bucket', 'b']), true);
    assert.equal(runsALongJob(['--region', 'eu-west-1', 'backup', 'table', 'Orders']), true);
    assert.equal(runsALongJob(['demo']), true);
  });

  test('a short command, help and the version start as they are', () => {
    assert.equal(runsALongJob([]), false);
    assert.equal(runsALongJob(['--version']), false);
    assert.equal(runsALongJob(['--help']), false);
    assert.equal(runsALongJob(['backups', 'list', '--bucket', 'b']), false);
    assert.equal(runsALongJob(['files', 'snapshots']), false);
    // "backup" alone is a group; the table is the second word.
    assert.equal(runsALongJob(['backup', '--help']), false);
    assert.equal(runsALongJob(['--profile', 'restore', 'tables', 'list']), false);
  });

  test("a user's own semi-space flag, on the command line or in NODE_OPTIONS, is kept", () => {
    assert.equal(semiSpaceIsSet(['--max-semi-space-size=32'], undefined), true);
    assert.equal(semiSpaceIsSet(['--max-semi-space-size', '32'], undefined), true);
    assert.equal(semiSpaceIsSet([], '--require x.js --max-semi-space-size=8'), true);
    assert.equal(semiSpaceIsSet(['--enable-source-maps'], '--max-old-space-size=512'), false);
  });

  test("the restarted command line keeps Node's flags, the script and its arguments, the cap first", () => {
    assert.deepEqual(cappedArgv('/bin/node', ['--enable-source-maps'], ['node', '/x/coldkeep.js', 'files', 'backup']), [
      '/bin/node',
      `--max-semi-space-size=${SEMI_SPACE_MB}`,
      '--enable-source-maps',
      '/x/coldkeep.js',
      'files',
      'backup',
    ]);
  });
});
