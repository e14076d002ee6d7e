import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { TOOL_VERSION } from '@coldkeep/shared';

const run = promisify(execFile);
const repo = join(__dirname, '..', '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// The CLI as a user installs it: the shared package packed into a tarball, installed into an empty
// folder (its dependencies from the registry, or npm's cache that `npm ci` filled), run from there.
describe('the coldkeep CLI package', () => {
  let dir = '';
  let bin = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-cli-package-'));
    await run(npm, ['pack', '-w', 'shared', '--pack-destination', dir, '--silent'], { cwd: repo });
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote no tarball');
    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'empty', private: true }));
    await run(npm, ['install', join(dir, tarball), '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: app,
      timeout: 300_000,
    });
    bin = join(app, 'node_modules', '.bin', 'coldkeep');
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the installed command prints its version', async () => {
    const { stdout } = await run(bin, ['--version'], { cwd: dir });
    assert.equal(stdout.trim(), TOOL_VERSION);
  });

  test('npx coldkeep runs it in the checkout (npm links the command at install, before any build)', async () => {
    const { stdout } = await run(npm, ['exec', '--no', '--', 'coldkeep', '--version'], { cwd: repo });
    assert.equal(stdout.trim(), TOOL_VERSION);
  });

  test('the command says what to do when it has not been built', async () => {
    const unbuilt = join(dir, 'unbuilt', 'bin');
    await mkdir(unbuilt, { recursive: true });
    await copyFile(join(repo, 'shared', 'bin', 'coldkeep.js'), join(unbuilt, 'coldkeep.js'));
    const failed = await run(process.execPath, [join(unbuilt, 'coldkeep.js'), '--version']).then(
      () => assert.fail('an unbuilt coldkeep ran'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /not built yet: run "npm run build"/);
  });

  test('the installed command runs the demo on its own embedded emulators', async () => {
    const { stdout } = await run(bin, ['demo', '--items', '200', '--json'], { cwd: dir, timeout: 180_000 });
    const result = JSON.parse(stdout) as { ok: boolean; demo: { comparison: { equal: boolean; itemsB: number } } };
    assert.equal(result.ok, true);
    assert.equal(result.demo.comparison.equal, true);
    assert.equal(result.demo.comparison.itemsB, 200);
  });
});
