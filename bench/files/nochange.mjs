// @ts-check
/**
 * A quick measure of Coldkeep's no-change folder backup re-run, through the real CLI
 * (`coldkeep files backup`), without the full benchmark's first backup (15 minutes at 100,000
 * small files against s3rver). The parent snapshot is made by a real `backupFolder` run whose
 * content uploads are answered in the process instead of sent (a no-change run never reads
 * them); its manifest, locks and listings go to s3rver as usual.
 *
 *   npm run -s build && node bench/files/nochange.mjs --files 100000 [--folders 1000] [--repeat 3]
 *   node bench/files/nochange.mjs --files 1000 --repeat 10 --checkouts /path/to/before,.   # A/B start-up
 *
 * Prints `--version` and no-change wall time, CPU seconds and peak RSS (/usr/bin/time) per
 * repeat. `--checkouts A,B` runs each built checkout's installed command (`shared/bin/coldkeep.js`,
 * as a user's `coldkeep` runs) in turn in every repeat, so that a loaded machine weighs on both
 * alike, and ends with each one's medians; the parent snapshot is made by this checkout's build. Data and the emulator's folder stay under bench/.cache/nochange-<files>/ for the next
 * run. s3rver runs over HTTPS in its own process, as in run.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeCert } from './tlsCert.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const args = process.argv.slice(2);
const text = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const option = (name, fallback) => Number(text(name) ?? fallback);
const files = option('--files', 10_000);
const folders = option('--folders', Math.max(1, Math.round(files / 100)));
const repeat = option('--repeat', 3);
const checkouts = text('--checkouts')
  ?.split(',')
  .map((c) => resolve(c));
/** The CLI entries to time: each checkout's installed command, or this checkout's dist/cli/main.js. */
const clis = checkouts
  ? checkouts.map((c) => ({ name: c, path: join(c, 'shared', 'bin', 'coldkeep.js') }))
  : [{ name: root, path: join(root, 'shared', 'dist', 'cli', 'main.js') }];
const work = join(root, 'bench', '.cache', `nochange-${files}`);
const tls = join(root, 'bench', '.cache', 'files-tls');

// The same certificate as run.ts; the child processes need to trust it.
const cert = makeCert(tls);
if (process.env.NODE_EXTRA_CA_CERTS !== cert) {
  const again = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  process.exit(again.status ?? 1);
}

// Small files (64 B to ~4 KB); their sizes do not matter to a run that reads none of them.
const data = join(work, 'data');
if (!existsSync(join(work, '.data-complete'))) {
  console.log(`generating ${files} files in ${folders} folders…`);
  rmSync(data, { recursive: true, force: true });
  const perFolder = Math.ceil(files / folders);
  for (let i = 0; i < files; i++) {
    const folder = join(data, `dir-${String(Math.floor(i / perFolder)).padStart(4, '0')}`);
    if (i % perFolder === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file-${String(i).padStart(6, '0')}.bin`), randomBytes(64 + ((i * 2654435761) % 4000)));
  }
  writeFileSync(join(work, '.data-complete'), '');
}

const s3dir = join(work, 's3');
mkdirSync(s3dir, { recursive: true });
const server = spawn(
  process.execPath,
  [
    '--openssl-legacy-provider',
    join(here, 's3server.mjs'),
    JSON.stringify({ dir: s3dir, key: join(tls, 'key.pem'), cert, buckets: ['coldkeep'] }),
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const line = await new Promise((ok) =>
  createInterface({ input: /** @type {NodeJS.ReadableStream} */ (server.stdout) }).once('line', ok),
);
const url = `https://127.0.0.1:${JSON.parse(String(line)).port}`;
try {
  if (!existsSync(join(work, '.parent-complete'))) {
    const shared = createRequire(import.meta.url)(join(root, 'shared', 'dist', 'index.js'));
    const clients = new shared.AwsClients({
      region: 'us-east-1',
      endpoints: { s3: url },
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    // Content uploads answered here: every write that is not a manifest or a lock.
    /** @type {import('@aws-sdk/types').InitializeMiddleware<any, any>} */
    const fakeContent = (next, context) => async (call) => {
      const key = String(call.input?.Key ?? '');
      const write = /^(PutObject|CreateMultipartUpload|UploadPart|CompleteMultipartUpload)Command$/.test(
        context.commandName ?? '',
      );
      if (write && !/\/(snapshots|locks)\//.test(key))
        return { output: { $metadata: {}, UploadId: 'fake' }, response: {} };
      return next(call);
    };
    clients.s3.middlewareStack.add(fakeContent, { step: 'initialize', name: 'benchFakeContent' });
    const started = Date.now();
    const report = await shared.backupFolder(clients, {
      dir: data,
      bucket: 'coldkeep',
      prefix: 'bench',
      source: 'bench',
    });
    clients.destroy();
    console.log(
      `parent snapshot: ${report.files} files in ${((Date.now() - started) / 1000).toFixed(1)} s (content not sent)`,
    );
    writeFileSync(join(work, '.parent-complete'), '');
  }
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: cert,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
  };
  /** @param {string[]} command */
  const timed = (cli, command) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, cli, ...command], {
      env,
      encoding: 'utf8',
    });
    const [wall, user, system, rssKB] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    if (r.status !== 0) throw new Error(`coldkeep ${command.join(' ')} failed: ${r.stderr.slice(-500)}`);
    return { wall, cpu: user + system, rssMB: rssKB / 1024, stdout: r.stdout };
  };
  const backup = [
    '--endpoint-url',
    url,
    'files',
    'backup',
    data,
    '--bucket',
    'coldkeep',
    '--prefix',
    'bench',
    '--source',
    'bench',
    '--json',
  ];
  /** @type {Map<string, Record<'version' | 'versionCpu' | 'wall' | 'cpu' | 'rss' | 'startup', number[]>>} */
  const seen = new Map(
    clis.map((c) => [c.name, { version: [], versionCpu: [], wall: [], cpu: [], rss: [], startup: [] }]),
  );
  for (let i = 0; i < repeat; i++) {
    for (const cli of clis) {
      const version = timed(cli.path, ['--version']);
      const run = timed(cli.path, backup);
      const { snapshot } = JSON.parse(run.stdout);
      if (snapshot.files !== files || snapshot.uploadedBlobs !== 0)
        throw new Error(`expected ${files} files and no upload, got ${snapshot.files} and ${snapshot.uploadedBlobs}`);
      const s = seen.get(cli.name);
      s.version.push(version.wall);
      s.versionCpu.push(version.cpu);
      s.wall.push(run.wall);
      s.cpu.push(run.cpu);
      s.rss.push(run.rssMB);
      // Everything but the job itself: Node's start (twice, with a restart), loading, the report.
      s.startup.push(run.wall - snapshot.durationMs / 1000);
      console.log(
        `${clis.length > 1 ? `${cli.name}: ` : ''}${files} files: --version ${version.wall.toFixed(2)} s ${version.cpu.toFixed(2)} CPU-s ${version.rssMB.toFixed(0)} MB; ` +
          `no-change ${run.wall.toFixed(2)} s ${run.cpu.toFixed(2)} CPU-s ${run.rssMB.toFixed(0)} MB (job ${snapshot.durationMs} ms)`,
      );
    }
  }
  /** @param {number[]} xs */
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(2);
  for (const [name, s] of seen) {
    console.log(
      `median of ${s.wall.length}, ${name}: --version ${median(s.version)} s ${median(s.versionCpu)} CPU-s; ` +
        `no-change ${median(s.wall)} s ${median(s.cpu)} CPU-s ${median(s.rss)} MB, of it outside the job ${median(s.startup)} s`,
    );
  }
} finally {
  server.stdin?.end();
  await new Promise((ok) => server.once('exit', ok));
}
