// @ts-check
/**
 * A quick measure of Coldkeep's no-change folder backup re-run, through the real CLI
 * (`coldkeep files backup`), without the full benchmark's first backup (15 minutes at 100,000
 * small files against s3rver). The parent snapshot is made by a real `backupFolder` run whose
 * content uploads are answered in the process instead of sent (a no-change run never reads
 * them); its manifest, locks and listings go to s3rver as usual.
 *
 *   npm run -s build && node bench/files/nochange.mjs --files 100000 [--folders 1000] [--repeat 3]
 *     [--dist DIR --label NAME] [--out FILE] [--node-options "--import $PWD/bench/memProbe.mjs"]
 *     [--passphrase P]
 *
 * Prints `--version` and no-change wall time, CPU seconds and peak RSS (/usr/bin/time) per
 * repeat, and what each no-change snapshot added to the bucket: objects, and bytes of manifest
 * and of trees (format 3). `--dist` runs another build of `shared/dist` (a copy of an older
 * commit's, inside the repository so that it finds node_modules), with its own bucket folder
 * (`--label`); `--out` writes the figures as JSON. Data and the emulator's folder stay under
 * bench/.cache/nochange-<files>/ for the next run. s3rver runs over HTTPS in its own process, as
 * in run.ts. `--passphrase` measures an encrypted source instead (its own source, `bench-enc`:
 * sealed manifest and trees), the CLI given the passphrase in $COLDKEEP_PASSPHRASE.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeCert } from './tlsCert.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const args = process.argv.slice(2);
const text = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const option = (name, fallback) => Number(text(name, fallback));
const files = option('--files', 10_000);
const folders = option('--folders', Math.max(1, Math.round(files / 100)));
const repeat = option('--repeat', 3);
const dist = resolve(text('--dist', join(root, 'shared', 'dist')));
const label = text('--label', 'current');
const outFile = text('--out', undefined);
const passphrase = text('--passphrase', undefined);
const source = passphrase ? 'bench-enc' : 'bench';
const cli = join(dist, 'cli', 'main.js');
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

const s3dir = join(work, label === 'current' ? 's3' : `s3-${label}`);
const parentDone = join(
  work,
  `${label === 'current' ? '.parent-complete' : `.parent-complete-${label}`}${passphrase ? '-enc' : ''}`,
);
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
  const shared = createRequire(import.meta.url)(join(dist, 'index.js'));
  if (!existsSync(parentDone)) {
    const clients = new shared.AwsClients({
      region: 'us-east-1',
      endpoints: { s3: url },
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    // Content uploads answered here: every write that is not a manifest, a tree or a lock.
    /** @type {import('@aws-sdk/types').InitializeMiddleware<any, any>} */
    const fakeContent = (next, context) => async (call) => {
      const key = String(call.input?.Key ?? '');
      const write = /^(PutObject|CreateMultipartUpload|UploadPart|CompleteMultipartUpload)Command$/.test(
        context.commandName ?? '',
      );
      if (write && !/\/(snapshots|trees|locks|keys)\//.test(key))
        return { output: { $metadata: {}, UploadId: 'fake' }, response: {} };
      return next(call);
    };
    clients.s3.middlewareStack.add(fakeContent, { step: 'initialize', name: 'benchFakeContent' });
    const started = Date.now();
    const report = await shared.backupFolder(clients, {
      dir: data,
      bucket: 'coldkeep',
      prefix: 'bench',
      source,
      ...(passphrase ? { keys: { passphrase } } : {}),
    });
    clients.destroy();
    console.log(
      `parent snapshot: ${report.files} files in ${((Date.now() - started) / 1000).toFixed(1)} s (content not sent)`,
    );
    writeFileSync(parentDone, '');
  }
  const lister = new shared.AwsClients({
    region: 'us-east-1',
    endpoints: { s3: url },
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  /** The source's objects (locks aside): key → size. */
  const objects = async () => {
    const found = new Map();
    for await (const o of shared.listObjects(lister.s3, 'coldkeep', `bench/files/${source}/`)) {
      if (!o.Key.includes('/locks/')) found.set(o.Key, o.Size ?? 0);
    }
    return found;
  };
  const rows = [];
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: cert,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    ...(passphrase ? { COLDKEEP_PASSPHRASE: passphrase } : {}),
    // A diagnostic preload, e.g. --node-options "--import $PWD/bench/memProbe.mjs" (said in the output).
    ...(text('--node-options', undefined) ? { NODE_OPTIONS: text('--node-options', undefined) } : {}),
  };
  /** @param {string[]} command */
  const timed = (command) => {
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
    source,
    '--json',
  ];
  for (let i = 0; i < repeat; i++) {
    const version = timed(['--version']);
    const before = await objects();
    const run = timed(backup);
    const after = await objects();
    const added = [...after.keys()].filter((k) => !before.has(k));
    const bytesUnder = (dir) => added.filter((k) => k.includes(`/${dir}/`)).reduce((n, k) => n + after.get(k), 0);
    const storage = {
      objects: added.length,
      manifestBytes: bytesUnder('snapshots'),
      treeBytes: bytesUnder('trees'),
      otherBytes: added.filter((k) => !/\/(snapshots|trees)\//.test(k)).reduce((n, k) => n + after.get(k), 0),
    };
    const { snapshot } = JSON.parse(run.stdout);
    if (snapshot.files !== files || snapshot.uploadedBlobs !== 0)
      throw new Error(`expected ${files} files and no upload, got ${snapshot.files} and ${snapshot.uploadedBlobs}`);
    console.log(
      `${files} files [${label}]: --version ${version.wall.toFixed(2)} s ${version.cpu.toFixed(2)} CPU-s ${version.rssMB.toFixed(0)} MB; ` +
        `no-change ${run.wall.toFixed(2)} s ${run.cpu.toFixed(2)} CPU-s ${run.rssMB.toFixed(0)} MB (job ${snapshot.durationMs} ms); ` +
        `added ${storage.objects} object(s): manifest ${storage.manifestBytes} B, trees ${storage.treeBytes} B, other ${storage.otherBytes} B`,
    );
    rows.push({
      repeat: i + 1,
      wallS: run.wall,
      cpuS: run.cpu,
      rssMB: run.rssMB,
      jobMs: snapshot.durationMs,
      ...storage,
    });
  }
  lister.destroy();
  if (outFile) {
    writeFileSync(
      outFile,
      `${JSON.stringify({ files, folders, label, dist: relative(root, dist), loadavg: loadavg(), rows }, null, 2)}\n`,
    );
  }
} finally {
  server.stdin?.end();
  await new Promise((ok) => server.once('exit', ok));
}
