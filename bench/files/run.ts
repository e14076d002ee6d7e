/**
 * Folder backup benchmark: Coldkeep against restic and rclone, all three talking to the same
 * s3rver (HTTPS, loopback only).
 *
 *   npm run bench:files -- [--datasets mixed,small] [--no-peers] [--encrypt] [--label L] [--timeout-min 60]
 *
 * Datasets (generated once, cached under bench/.cache/files-<name>/, git-ignored):
 *   mixed  10,000 files, 1 KB to 1 MB (log-uniform, deterministic sizes, random content), 100 folders
 *   small  100,000 files, 64 B to 4 KB, 1,000 folders
 * For each tool: first backup, no-change re-run, one-file-changed re-run, full restore into an
 * empty folder (file count checked). Every step: wall time, CPU and peak RSS of the tool
 * (/usr/bin/time), the emulator's CPU (/proc), and the rest of the machine's CPU (other work);
 * after it, the bytes in the tool's bucket and what the step added (s3rver's folder, by key folder).
 * `--encrypt`: Coldkeep backs up an encrypted source (so zstd-compressed too), its passphrase given
 * as the CLI gives it (`keys: { passphrase }`); restic always encrypts.
 * Results: bench/results/files-<date>[-label].{md,json}.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { appendFile, cp, mkdir, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { cliNodeFlags } from '../cliNodeFlags';
import { makeCert } from './tlsCert.mjs';
import { killRunning, machineBusySeconds, processCpuSeconds, timed, type TimedResult } from '../tables/measure';

const ROOT = resolve(__dirname, '../..');
const CACHE = join(ROOT, 'bench', '.cache');
const RESULTS = join(ROOT, 'bench', 'results');

interface Dataset {
  name: string;
  files: number;
  folders: number;
  minBytes: number;
  maxBytes: number;
}

const DATASETS: Record<string, Dataset> = {
  mixed: { name: 'mixed', files: 10_000, folders: 100, minBytes: 1024, maxBytes: 1024 * 1024 },
  small: { name: 'small', files: 100_000, folders: 1000, minBytes: 64, maxBytes: 4096 },
  /** A quick check that every tool works against the emulator; not for figures. */
  tiny: { name: 'tiny', files: 200, folders: 4, minBytes: 64, maxBytes: 64 * 1024 },
};
const TOOLS = ['coldkeep', 'restic', 'rclone'] as const;
type Tool = (typeof TOOLS)[number];
const STEPS = ['first backup', 'no-change re-run', 'one-file-changed re-run', 'full restore'] as const;
type Step = (typeof STEPS)[number];

interface Options {
  datasets: Dataset[];
  peers: boolean;
  tools: Tool[];
  steps: Step[];
  label?: string;
  timeoutMs: number;
  /** Write results from a run's partial file (bench/results/files-partial-*.tmp) instead of running. */
  render?: string;
  commit?: string;
  /** Extra node flags for Coldkeep's worker (an experiment, e.g. --max-old-space-size=128; said in the results). */
  nodeArgs: string[];
  /** Coldkeep's source encrypted (and compressed) with BENCH_PASSPHRASE. */
  encrypt: boolean;
}

/** The passphrase of an encrypted bench source (`--encrypt`); restic's repository has its own. */
const BENCH_PASSPHRASE = 'coldkeep-bench';

function parseArgs(argv: string[]): Options {
  const options: Options = {
    datasets: [DATASETS.mixed!, DATASETS.small!],
    peers: true,
    tools: [...TOOLS],
    steps: [...STEPS],
    timeoutMs: 60 * 60_000,
    nodeArgs: [],
    encrypt: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => argv[++i] ?? '';
    if (arg === '--datasets')
      options.datasets = value()
        .split(',')
        .map((n) => {
          const d = DATASETS[n.trim()];
          if (!d) throw new Error(`Unknown dataset ${n} (mixed, small, tiny)`);
          return d;
        });
    else if (arg === '--no-peers') options.peers = false;
    else if (arg === '--encrypt') options.encrypt = true;
    else if (arg === '--tools') options.tools = value().split(',') as Tool[];
    else if (arg === '--steps') {
      const short: Record<string, Step> = {
        first: 'first backup',
        nochange: 'no-change re-run',
        changed: 'one-file-changed re-run',
        restore: 'full restore',
      };
      options.steps = value()
        .split(',')
        .map((n) => {
          const step = short[n.trim()];
          if (!step) throw new Error(`Unknown step ${n} (first, nochange, changed, restore)`);
          return step;
        });
    } else if (arg === '--label') options.label = value().replace(/[^\w.-]+/g, '-');
    else if (arg === '--render') options.render = value();
    else if (arg === '--node-args') options.nodeArgs = value().split(' ').filter(Boolean);
    else if (arg === '--commit') options.commit = value();
    else if (arg === '--timeout-min') options.timeoutMs = Number(value()) * 60_000;
    else throw new Error(`Unknown argument ${arg}`);
  }
  return options;
}

const say = (text: string): void =>
  void process.stdout.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${text}\n`);

/** A small deterministic PRNG (mulberry32), so every run has the same file sizes. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function ensureDataset(d: Dataset): Promise<{ dir: string; bytes: number }> {
  const dir = join(CACHE, `files-${d.name}`);
  const marker = join(dir, '.complete.json');
  if (existsSync(marker)) return { dir, bytes: (JSON.parse(readFileSync(marker, 'utf8')) as { bytes: number }).bytes };
  say(`generating dataset ${d.name}: ${d.files} files…`);
  await rm(dir, { recursive: true, force: true });
  const random = prng(d.files);
  let bytes = 0;
  const ratio = Math.log(d.maxBytes / d.minBytes);
  for (let f = 0; f < d.folders; f++)
    await mkdir(join(dir, 'data', `dir-${String(f).padStart(4, '0')}`), { recursive: true });
  const perFolder = d.files / d.folders;
  for (let i = 0; i < d.files; i++) {
    const size = Math.round(d.minBytes * Math.exp(random() * ratio));
    bytes += size;
    const folder = `dir-${String(Math.floor(i / perFolder)).padStart(4, '0')}`;
    await writeFile(join(dir, 'data', folder, `file-${String(i).padStart(6, '0')}.bin`), randomBytes(size));
  }
  await writeFile(marker, JSON.stringify({ bytes }));
  return { dir, bytes };
}

interface S3Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function startS3(dir: string, certDir: string): Promise<S3Server> {
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      join(__dirname, 's3server.mjs'),
      JSON.stringify({
        dir,
        key: join(certDir, 'key.pem'),
        cert: join(certDir, 'cert.pem'),
        buckets: ['coldkeep', 'restic', 'rclone'],
      }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((ok, fail) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', ok);
    child.once('exit', (code) => fail(new Error(`s3rver exited (${code})`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function countFiles(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      files++;
      bytes += (await stat(join(e.parentPath, e.name))).size;
    }
  }
  return { files, bytes };
}

/** A bucket's objects in s3rver's folder (`<key>._S3rver_object`), key → bytes. */
async function bucketObjects(dir: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (!existsSync(dir)) return found;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('._S3rver_object')) {
      const path = join(e.parentPath, e.name);
      found.set(path.slice(dir.length + 1, -'._S3rver_object'.length), (await stat(path)).size);
    }
  }
  return found;
}

/** What a key is, by its first folder (Coldkeep's under bench/files/<source>/): data, index, snapshots, trees… */
const keyFolder = (key: string): string => key.replace(/^bench\/files\/[^/]+\//, '').split('/')[0]!;

interface StepResult {
  dataset: string;
  tool: Tool;
  step: Step;
  ok: boolean;
  wallSeconds: number;
  toolCpuSeconds: number;
  toolPeakRssMB: number;
  emulatorCpuSeconds: number;
  otherCpuSeconds: number;
  loadAverage1m: number;
  note: string;
  /** The tool's bucket after the step: bytes in all, and the bytes the step added, by key folder. */
  storedBytes?: number;
  addedBytes?: Record<string, number>;
}

interface DatasetResult {
  name: string;
  files: number;
  bytes: number;
  steps: StepResult[];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.render) {
    // A run stopped before its end keeps every finished step in its partial file.
    const results = JSON.parse(readFileSync(options.render, 'utf8')) as DatasetResult[];
    const env = {
      startedAt: new Date(statSync(options.render).mtime).toISOString(),
      commit: options.commit ?? 'unknown',
      note: 'rendered from the partial results of a run stopped before its end',
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGB: Math.round(totalmem() / 1e9),
      node: process.version,
      restic: execFileSync('/usr/bin/restic', ['version']).toString().trim(),
      rclone: execFileSync('/usr/bin/rclone', ['version']).toString().split('\n')[0],
      s3: 's3rver over HTTPS (self-signed certificate), one process, on loopback; same server for every tool',
    };
    const name = `files-${env.startedAt.slice(0, 10)}${options.label ? `-${options.label}` : ''}`;
    await writeFile(join(RESULTS, `${name}.json`), JSON.stringify({ env, results }, null, 2) + '\n');
    await writeFile(join(RESULTS, `${name}.md`), toMarkdown(env, results));
    say(`results: bench/results/${name}.{md,json}`);
    return;
  }
  for (const tool of ['restic', 'rclone']) {
    if (options.peers && !existsSync(`/usr/bin/${tool}`)) {
      say(`installing ${tool} (apt-get)…`);
      execFileSync('apt-get', ['install', '-y', tool], { stdio: 'inherit' });
    }
  }
  await mkdir(CACHE, { recursive: true });
  const certDir = join(CACHE, 'files-tls');
  const cert = makeCert(certDir);
  // Coldkeep as built now: a rebuild during the run changes nothing.
  const dist = join(CACHE, `coldkeep-dist-files-${process.pid}`);
  await cp(join(ROOT, 'shared', 'dist'), join(dist, 'dist'), { recursive: true });
  const sharedEntry = join(dist, 'dist', 'index.js');
  const cliFlags = {
    backup: cliNodeFlags(join(dist, 'dist'), 'files backup'),
    restore: cliNodeFlags(join(dist, 'dist'), 'files restore'),
  };
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  const dirty = execFileSync('git', ['status', '--porcelain', 'shared/src'], { cwd: ROOT }).toString().trim() !== '';
  const results: DatasetResult[] = [];
  const started = new Date();
  const cleanEnv: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', HOME: process.env.HOME };

  try {
    for (const d of options.datasets) {
      const data = await ensureDataset(d);
      const src = join(data.dir, 'data');
      const run = join(CACHE, `files-run-${process.pid}`);
      await rm(run, { recursive: true, force: true });
      await mkdir(run, { recursive: true });
      const s3 = await startS3(join(run, 's3'), certDir);
      const url = `https://127.0.0.1:${s3.port}`;
      const result: DatasetResult = { name: d.name, files: d.files, bytes: data.bytes, steps: [] };
      results.push(result);
      say(`${d.name}: ${d.files} files, ${(data.bytes / 1e6).toFixed(0)} MB; s3rver (HTTPS) on ${url}`);
      const changed = join(src, 'dir-0000', 'file-000000.bin');
      const original = await stat(changed);

      const measure = async (
        tool: Tool,
        step: Step,
        command: string,
        args: string[],
        env: NodeJS.ProcessEnv,
        check: (r: TimedResult) => Promise<string>,
      ): Promise<void> => {
        // The first backup always runs: the other steps need it.
        if (step !== 'first backup' && !options.steps.includes(step)) return;
        await measureStep(tool, step, command, args, env, check);
      };
      const measureStep = async (
        tool: Tool,
        step: Step,
        command: string,
        args: string[],
        env: NodeJS.ProcessEnv,
        check: (r: TimedResult) => Promise<string>,
      ): Promise<void> => {
        const bucket = join(run, 's3', tool);
        const before = await bucketObjects(bucket);
        const emu0 = processCpuSeconds(s3.pid);
        const busy0 = machineBusySeconds();
        const r = await timed(command, args, { env, timeoutMs: options.timeoutMs, timeFile: join(run, 'time.txt') });
        const emulatorCpuSeconds = processCpuSeconds(s3.pid) - emu0;
        const busy = machineBusySeconds() - busy0;
        let ok = r.code === 0;
        let note: string;
        if (ok) {
          try {
            note = await check(r);
          } catch (err) {
            ok = false;
            note = `check failed: ${(err as Error).message}`;
          }
        } else note = `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`;
        const after = await bucketObjects(bucket);
        const addedBytes: Record<string, number> = {};
        for (const [key, size] of after)
          if (before.get(key) !== size) addedBytes[keyFolder(key)] = (addedBytes[keyFolder(key)] ?? 0) + size;
        const row: StepResult = {
          dataset: d.name,
          tool,
          step,
          ok,
          wallSeconds: r.wallSeconds,
          toolCpuSeconds: r.cpuSeconds,
          toolPeakRssMB: r.peakRssBytes / 1e6,
          emulatorCpuSeconds,
          otherCpuSeconds: Math.max(0, busy - r.cpuSeconds - emulatorCpuSeconds),
          loadAverage1m: loadavg()[0]!,
          note,
          storedBytes: [...after.values()].reduce((a, b) => a + b, 0),
          addedBytes,
        };
        result.steps.push(row);
        say(
          `${d.name} ${tool} ${step}: ${ok ? 'ok' : 'FAILED'} ${r.wallSeconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} s CPU, ` +
            `${row.toolPeakRssMB.toFixed(0)} MB RSS, emulator ${emulatorCpuSeconds.toFixed(1)} s, other ${row.otherCpuSeconds.toFixed(1)} s, ` +
            `bucket ${(row.storedBytes! / 1e6).toFixed(1)} MB ${note}`,
        );
        await writeFile(join(RESULTS, `files-partial-${process.pid}.tmp`), JSON.stringify(results, null, 2));
      };
      const restoreCheck = (dir: string) => async (): Promise<string> => {
        const counted = await countFiles(dir);
        if (counted.files !== d.files) throw new Error(`restored ${counted.files} files, expected ${d.files}`);
        await rm(dir, { recursive: true, force: true });
        return `${counted.files} files restored`;
      };
      const change = async (): Promise<void> => appendFile(changed, 'x');
      const revert = async (): Promise<void> => {
        await truncate(changed, original.size);
        await utimes(changed, original.atime, original.mtime);
      };

      const tools = options.peers ? options.tools : options.tools.filter((t) => t === 'coldkeep');
      for (const tool of tools) {
        if (tool === 'coldkeep') {
          const env = { ...cleanEnv, NODE_EXTRA_CA_CERTS: cert };
          const job = (mode: 'backup' | 'restore', extra: Record<string, unknown>): string[] => [
            // The CLI's own flags first, so that --node-args overrides them.
            ...cliFlags[mode],
            ...options.nodeArgs,
            join(__dirname, 'worker.mjs'),
            JSON.stringify({
              mode,
              sharedEntry,
              settings: {
                region: 'us-east-1',
                endpoints: { s3: url },
                credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
              },
              bucket: 'coldkeep',
              source: 'bench',
              ...(options.encrypt ? { keys: { passphrase: BENCH_PASSPHRASE } } : {}),
              ...extra,
            }),
          ];
          const backupCheck =
            (expectUploads?: number) =>
            async (r: TimedResult): Promise<string> => {
              const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
                report: { files: number; uploadedBlobs: number };
              };
              if (out.report.files !== d.files) throw new Error(`${out.report.files} files in the snapshot`);
              if (expectUploads !== undefined && out.report.uploadedBlobs !== expectUploads)
                throw new Error(`${out.report.uploadedBlobs} blobs uploaded, expected ${expectUploads}`);
              return `${out.report.uploadedBlobs} blobs uploaded`;
            };
          await measure(tool, 'first backup', process.execPath, job('backup', { dir: src }), env, backupCheck());
          await measure(tool, 'no-change re-run', process.execPath, job('backup', { dir: src }), env, backupCheck(0));
          await change();
          await measure(
            tool,
            'one-file-changed re-run',
            process.execPath,
            job('backup', { dir: src }),
            env,
            backupCheck(1),
          );
          await revert();
          const out = join(run, 'restore-coldkeep');
          await measure(
            tool,
            'full restore',
            process.execPath,
            job('restore', { target: out }),
            env,
            restoreCheck(out),
          );
        } else if (tool === 'restic') {
          const repo = `s3:${url}/restic`;
          const env = {
            ...cleanEnv,
            RESTIC_PASSWORD: 'bench',
            RESTIC_CACHE_DIR: join(run, 'restic-cache'),
            AWS_ACCESS_KEY_ID: 'S3RVER',
            AWS_SECRET_ACCESS_KEY: 'S3RVER',
          };
          execFileSync('/usr/bin/restic', ['-r', repo, '--cacert', cert, 'init'], { env, stdio: 'ignore' });
          const backup = ['-r', repo, '--cacert', cert, '--host', 'bench', 'backup', src];
          const ok = async (): Promise<string> => '';
          await measure(tool, 'first backup', '/usr/bin/restic', backup, env, ok);
          await measure(tool, 'no-change re-run', '/usr/bin/restic', backup, env, ok);
          await change();
          await measure(tool, 'one-file-changed re-run', '/usr/bin/restic', backup, env, ok);
          await revert();
          const out = join(run, 'restore-restic');
          await measure(
            tool,
            'full restore',
            '/usr/bin/restic',
            ['-r', repo, '--cacert', cert, 'restore', 'latest', '--target', out],
            env,
            restoreCheck(out),
          );
        } else {
          const env = {
            ...cleanEnv,
            RCLONE_CONFIG_S3R_TYPE: 's3',
            RCLONE_CONFIG_S3R_PROVIDER: 'Other',
            RCLONE_CONFIG_S3R_ENDPOINT: url,
            RCLONE_CONFIG_S3R_ACCESS_KEY_ID: 'S3RVER',
            RCLONE_CONFIG_S3R_SECRET_ACCESS_KEY: 'S3RVER',
            RCLONE_CONFIG_S3R_FORCE_PATH_STYLE: 'true',
          };
          const copy = ['copy', '--ca-cert', cert, src, 's3r:rclone/data'];
          const ok = async (): Promise<string> => '';
          await measure(tool, 'first backup', '/usr/bin/rclone', copy, env, ok);
          await measure(tool, 'no-change re-run', '/usr/bin/rclone', copy, env, ok);
          await change();
          await measure(tool, 'one-file-changed re-run', '/usr/bin/rclone', copy, env, ok);
          await revert();
          const out = join(run, 'restore-rclone');
          await measure(
            tool,
            'full restore',
            '/usr/bin/rclone',
            ['copy', '--ca-cert', cert, 's3r:rclone/data', out],
            env,
            restoreCheck(out),
          );
        }
      }
      await s3.stop();
      await rm(run, { recursive: true, force: true });
    }
  } finally {
    killRunning();
    await rm(dist, { recursive: true, force: true });
  }
  const finished = new Date();
  const env = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    commit,
    uncommittedSharedChanges: dirty,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGB: Math.round(totalmem() / 1e9),
    node: process.version,
    restic: options.peers ? execFileSync('/usr/bin/restic', ['version']).toString().trim() : undefined,
    rclone: options.peers ? execFileSync('/usr/bin/rclone', ['version']).toString().split('\n')[0] : undefined,
    s3: 's3rver over HTTPS (self-signed certificate), one process, on loopback; same server for every tool',
    encryption: options.encrypt
      ? "Coldkeep's source encrypted (passphrase wrap) and zstd-compressed; restic encrypted (as always)"
      : "Coldkeep's source not encrypted, not compressed; restic encrypted (as always)",
    ...(cliFlags.backup.length || cliFlags.restore.length
      ? {
          workerCliFlags: `${cliFlags.backup.join(' ') || 'none'} for backups, ${cliFlags.restore.join(' ') || 'none'} for restores (the CLI's, as its commands run)`,
        }
      : {}),
    ...(options.nodeArgs.length
      ? { note: `Coldkeep's worker ran with node ${options.nodeArgs.join(' ')} (an experiment)` }
      : {}),
  };
  const name = `files-${started.toISOString().slice(0, 10)}${options.label ? `-${options.label}` : ''}`;
  await writeFile(join(RESULTS, `${name}.json`), JSON.stringify({ env, results }, null, 2) + '\n');
  await writeFile(join(RESULTS, `${name}.md`), toMarkdown(env, results));
  await rm(join(RESULTS, `files-partial-${process.pid}.tmp`), { force: true });
  say(`results: bench/results/${name}.{md,json}`);
}

function toMarkdown(env: Record<string, unknown>, results: DatasetResult[]): string {
  const lines = [
    `# Folder backup benchmark (${String(env.startedAt).slice(0, 10)})`,
    '',
    `Coldkeep ${String(env.commit)}${env.uncommittedSharedChanges ? ' (with uncommitted changes)' : ''}, ${String(env.restic ?? '')}, ${String(env.rclone ?? '')}.`,
    `${String(env.cpus)} × ${String(env.cpuModel)}, ${String(env.memoryGB)} GB, Node ${String(env.node)}. ${String(env.s3)}.`,
    ...(env.workerCliFlags ? [`Coldkeep's worker ran with node ${String(env.workerCliFlags)}.`] : []),
    ...(env.note ? [`Note: ${String(env.note)}.`] : []),
    ...(env.encryption ? [`Encryption: ${String(env.encryption)}.`] : []),
    'Machine shared with other work: "other CPU s" is the machine\'s busy CPU minus the tool and the emulator during the step.',
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.name}: ${r.files.toLocaleString('en-US')} files, ${(r.bytes / 1e6).toFixed(0)} MB`, '');
    lines.push(
      '| tool | step | wall s | tool CPU s | tool peak RSS MB | emulator CPU s | other CPU s | load 1m | bucket MB | added by the step | ok | note |',
    );
    lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |');
    const added = (s?: StepResult): string =>
      Object.entries(s?.addedBytes ?? {})
        .map(([folder, bytes]) => `${folder} ${bytes.toLocaleString('en-US')} B`)
        .join(', ') || 'nothing';
    for (const s of r.steps) {
      lines.push(
        `| ${s.tool} | ${s.step} | ${s.wallSeconds.toFixed(1)} | ${s.toolCpuSeconds.toFixed(1)} | ${s.toolPeakRssMB.toFixed(0)} | ` +
          `${s.emulatorCpuSeconds.toFixed(1)} | ${s.otherCpuSeconds.toFixed(1)} | ${s.loadAverage1m.toFixed(1)} | ` +
          `${s.storedBytes === undefined ? 'n/a' : (s.storedBytes / 1e6).toFixed(1)} | ${added(s)} | ${s.ok ? 'yes' : 'NO'} | ${s.note.replace(/\|/g, '/')} |`,
      );
    }
    const row = (tool: Tool, step: Step): StepResult | undefined =>
      r.steps.find((s) => s.tool === tool && s.step === step && s.ok);
    const wall = (tool: Tool, step: Step): number | undefined => row(tool, step)?.wallSeconds;
    const noChange = row('coldkeep', 'no-change re-run')?.addedBytes;
    const ratio = (a?: number, b?: number): string => (a !== undefined && b ? (a / b).toFixed(2) : 'n/a');
    const ck = (step: Step): number | undefined => wall('coldkeep', step);
    const ckRss = r.steps.filter((s) => s.tool === 'coldkeep').map((s) => s.toolPeakRssMB);
    const rss = ckRss.length ? `${Math.max(...ckRss).toFixed(0)} MB` : 'n/a';
    lines.push(
      '',
      'Targets:',
      '',
      `- no-change re-run, Coldkeep ÷ restic: **${ratio(ck('no-change re-run'), wall('restic', 'no-change re-run'))}** (target < 1)`,
      `- first backup, Coldkeep ÷ restic: **${ratio(ck('first backup'), wall('restic', 'first backup'))}** (issue 19 target ≤ 1.0, encrypted and compressed)`,
      `- bytes stored after the first backup, Coldkeep ÷ restic: **${ratio(row('coldkeep', 'first backup')?.storedBytes, row('restic', 'first backup')?.storedBytes)}** (issue 19 target ≤ 1.0 on mixed)`,
      `- manifest and trees added by Coldkeep's no-change snapshot: **${noChange ? `${(((noChange.snapshots ?? 0) + (noChange.trees ?? 0)) / 1e6).toFixed(3)} MB` : 'n/a'}** (issue 19 target ≤ 0.5 MB on small)`,
      `- first backup, Coldkeep ÷ rclone copy: **${ratio(ck('first backup'), wall('rclone', 'first backup'))}** (target ≤ 1.5)`,
      `- Coldkeep peak RSS over all steps: **${rss}** (target < 250 MB at 100,000 files)`,
      '',
    );
  }
  return lines.join('\n');
}

process.on('SIGINT', () => {
  killRunning();
  process.exit(130);
});
main().catch((err: unknown) => {
  killRunning();
  console.error(err);
  process.exit(1);
});
