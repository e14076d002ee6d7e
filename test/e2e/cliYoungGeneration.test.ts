// The real CLI, started as a user starts it (no Node flags), runs a long job's command with V8's
// young generation capped, in the process the user started (same PID: signals, SIGKILL and lock
// owners stay right); short commands and a user's own flag are left alone. A preload given through
// NODE_OPTIONS (which the restart keeps) writes what the process that ran the command had in
// effect when it exited: an image replaced by the restart never exits, so it writes nothing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI } from '../helpers/cli';

const INSTALLED = join(CLI, '..', '..', '..', 'bin', 'coldkeep.js');

interface Exited {
  pid: number;
  execArgv: string[];
  heapSizeLimit: number;
}

/** V8's heap limit (old generation plus young generation) of a bare `node` with these flags. */
function heapSizeLimit(flags: string[]): number {
  const out = execFileSync(process.execPath, [...flags, '-p', 'require("v8").getHeapStatistics().heap_size_limit'], {
    env: { PATH: process.env.PATH },
  });
  return Number(out.toString());
}

describe('the CLI caps V8 young generation for long jobs', () => {
  let dir = '';
  let probe = '';
  let limit16 = 0;
  let defaultLimit = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-younggen-'));
    probe = join(dir, 'probe.cjs');
    await writeFile(
      probe,
      `process.on('exit', () => require('node:fs').appendFileSync(process.env.PROBE_OUT, JSON.stringify({
        pid: process.pid, execArgv: process.execArgv, heapSizeLimit: require('node:v8').getHeapStatistics().heap_size_limit,
      }) + '\\n'));\n`,
    );
    limit16 = heapSizeLimit(['--max-semi-space-size=16']);
    defaultLimit = heapSizeLimit([]);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs the CLI entry with the probe; returns the child's PID, exit code, stderr and what the probe wrote. */
  async function run(entry: string, args: string[], nodeOptions = '') {
    const out = join(dir, `exit-${Math.random().toString(36).slice(2)}.jsonl`);
    const child = spawn(process.execPath, [entry, ...args], {
      env: { PATH: process.env.PATH, HOME: dir, PROBE_OUT: out, NODE_OPTIONS: `--require ${probe} ${nodeOptions}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const exited = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Exited);
    return { pid: child.pid, code, stderr, exited };
  }

  // A long job's command that fails on its input before reaching AWS: the work is the restarted process's.
  const longJob = ['files', 'backup', '/nonexistent-coldkeep-folder', '--bucket', 'coldkeep-none'];

  for (const [name, entry] of [
    ['the installed command', INSTALLED],
    ['node dist/cli/main.js', CLI],
  ] as const) {
    test(`${name}: a long job runs capped, in the process that was started, and exits as the command says`, async () => {
      const r = await run(entry, longJob);
      assert.equal(r.exited.length, 1, 'one process image exited (the first was replaced, not left as a parent)');
      const [exited] = r.exited;
      assert.equal(exited!.pid, r.pid, 'the same PID as the process the user started');
      assert.ok(exited!.execArgv.includes('--max-semi-space-size=16'), JSON.stringify(exited!.execArgv));
      assert.equal(exited!.heapSizeLimit, limit16, 'V8 sized its young generation with the cap');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no such folder/);
    });
  }

  test('a table restore runs with the smaller young generation', async () => {
    // No backup named: a usage error, given by the restarted process.
    const r = await run(INSTALLED, ['restore']);
    assert.equal(r.exited.length, 1);
    assert.equal(r.exited[0]!.pid, r.pid);
    assert.ok(r.exited[0]!.execArgv.includes('--max-semi-space-size=8'), JSON.stringify(r.exited[0]!.execArgv));
    assert.equal(r.exited[0]!.heapSizeLimit, heapSizeLimit(['--max-semi-space-size=8']));
    assert.notEqual(r.code, 0);
  });

  test('--version and a listing start as they are: no restart', async () => {
    for (const args of [['--version'], ['files', 'snapshots', '--help']]) {
      const r = await run(INSTALLED, args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.exited.length, 1);
      assert.deepEqual(r.exited[0]!.execArgv, []);
      assert.equal(r.exited[0]!.heapSizeLimit, defaultLimit);
    }
  });

  test("a user's own --max-semi-space-size in NODE_OPTIONS is kept", async () => {
    const r = await run(INSTALLED, longJob, '--max-semi-space-size=32');
    assert.equal(r.exited.length, 1);
    assert.deepEqual(r.exited[0]!.execArgv, [], 'not restarted');
    assert.equal(r.exited[0]!.heapSizeLimit, heapSizeLimit(['--max-semi-space-size=32']));
  });
});
