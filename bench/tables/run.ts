/**
 * Table backup benchmark: Coldkeep against the AWS CLI, on dynalite + s3rver (loopback only).
 *
 *   npm run bench:tables -- [--items 100000,1000000] [--segments 4] [--no-peer] [--no-restore]
 *                           [--no-cache] [--profile] [--timeout-min 45] [--item-restore] [--item-rounds 5]
 *   npm run bench:tables -- --items 1m --only-item-restore   (backup, then the item-level restore alone)
 *
 * For each table size: start the emulators on a copy of a cached, pre-loaded table; run
 * Coldkeep's backup in a child process; run the AWS CLI peer (`aws dynamodb scan`, one process
 * per segment, then `aws s3 cp`); run Coldkeep's restore into a new table in a child process.
 * Every phase records wall time, the tool's CPU seconds and peak RSS (/usr/bin/time), and the
 * emulator process's CPU seconds (/proc/<pid>/stat). Results: bench/results/tables-<date>.{md,json}.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cp, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { Agent } from 'node:http';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { AwsClients, RunningEmulators } from '@coldkeep/shared';
import { cliNodeFlags } from '../cliNodeFlags';
import { createBenchTable, DATA_VERSION, loadItems, post } from './data';
import {
  killRunning,
  machineBusySeconds,
  mainThreadCpuSeconds,
  processCpuSeconds,
  processRssBytes,
  timed,
  type TimedResult,
} from './measure';
import { type ProfileSummary, summarizeProfile } from './profile';
import { type BenchResults, type Phase, type SizeResult, toMarkdown } from './report';

const ROOT = resolve(__dirname, '../..');
const BENCH = join(ROOT, 'bench');
const CACHE = join(BENCH, '.cache');
const RESULTS = join(BENCH, 'results');
const AWS = '/usr/bin/aws';
const TABLE = 'bench-customers';
const BUCKET = 'coldkeep-bench';

interface Options {
  items: number[];
  segments: number;
  concurrency?: number;
  peer: boolean;
  restore: boolean;
  /** Item-level restore of ITEM_KEYS keys from the backup, beside one plain read of its files. */
  itemRestore: boolean;
  /** Item restores in step 5b, each between two reads of the files (the ratio is their median). */
  itemRounds: number;
  /** Also back up against the ceiling server (instant replay of Scan pages, a discarding S3). */
  ceiling: boolean;
  cache: boolean;
  profile: boolean;
  keep: boolean;
  save: boolean;
  /** Written to tables-<date>-<label>.{md,json} instead of tables-<date>.{md,json}. */
  label?: string;
  /** Backups run this many times each (Coldkeep and the AWS CLI alternating); the median run is reported. */
  repeat: number;
  /** Extra, diagnostic Coldkeep backups (not Coldkeep as shipped); see worker.mjs. */
  experiments: string[];
  /** Extra node flags for every Coldkeep worker (a diagnosis, e.g. --import bench/memProbe.mjs; said in the results). */
  nodeArgs: string[];
  timeoutMs: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    items: [100_000, 1_000_000],
    segments: 4,
    peer: true,
    restore: true,
    itemRestore: false,
    itemRounds: 1,
    ceiling: true,
    cache: true,
    profile: false,
    keep: false,
    save: true,
    repeat: 1,
    experiments: [],
    nodeArgs: [],
    timeoutMs: 45 * 60_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const count = (text: string): number => {
      const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
      if (!m) throw new Error(`Not a count: ${text}`);
      return Math.round(Number(m[1]) * ({ k: 1e3, m: 1e6 }[m[2]!.toLowerCase()] ?? 1));
    };
    if (arg === '--items') options.items = value().split(',').map(count);
    else if (arg === '--segments') options.segments = count(value());
    else if (arg === '--concurrency') options.concurrency = count(value());
    else if (arg === '--no-peer') options.peer = false;
    else if (arg === '--no-restore') options.restore = false;
    else if (arg === '--no-ceiling') options.ceiling = false;
    else if (arg === '--item-restore') options.itemRestore = true;
    else if (arg === '--only-item-restore') {
      options.itemRestore = true;
      options.peer = false;
      options.restore = false;
      options.ceiling = false;
    } else if (arg === '--item-rounds') options.itemRounds = Math.max(1, count(value()));
    else if (arg === '--no-cache') options.cache = false;
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--no-save') options.save = false;
    else if (arg === '--label') options.label = value().replace(/[^\w.-]+/g, '-');
    else if (arg === '--repeat') options.repeat = Math.max(1, count(value()));
    else if (arg === '--experiment') options.experiments.push(...value().split(','));
    else if (arg === '--node-args') options.nodeArgs = value().split(' ').filter(Boolean);
    else if (arg === '--timeout-min') options.timeoutMs = count(value()) * 60_000;
    else throw new Error(`Unknown argument ${arg}`);
  }
  return options;
}

const say = (text: string): void => void process.stdout.write(`[bench] ${text}\n`);

let stopping: NodeJS.Signals | undefined;
let currentRunDir: string | undefined;

/** Called between steps: after SIGINT/SIGTERM, fail so that cleanup runs. */
function checkStop(): void {
  if (stopping) throw new Error(`Stopped by ${stopping}`);
}

/**
 * Coldkeep as built when the run starts. Others may rebuild shared/dist while a long run goes
 * on, so the run copies it once and every worker and emulator process loads that copy (its
 * dependencies still resolve from the repository's node_modules).
 */
let snapshot: { dir: string; entry: string; sha256: string; cliFlags: (mode: string) => string[] } | undefined;

async function snapshotShared(): Promise<NonNullable<typeof snapshot>> {
  const dir = join(CACHE, `coldkeep-dist-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await cp(join(ROOT, 'shared', 'dist'), join(dir, 'dist'), { recursive: true });
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const entry of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.js')) hash.update(entry.name).update(readFileSync(path));
    }
  };
  await walk(join(dir, 'dist'));
  return {
    dir,
    entry: join(dir, 'dist', 'index.js'),
    sha256: hash.digest('hex'),
    // A backup runs as `coldkeep backup table`; every other worker (restores, the item restore and
    // the read of the files it is measured against) as `coldkeep restore`.
    cliFlags: (mode: string) => cliNodeFlags(join(dir, 'dist'), mode === 'backup' ? 'backup table' : 'restore'),
  };
}

function core(): typeof import('@coldkeep/shared') {
  if (!snapshot) throw new Error('No snapshot of shared/dist yet');
  // A path known only at run time, loaded the way the package itself is (CommonJS).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(snapshot.entry) as typeof import('@coldkeep/shared');
}

/** The peer and the timer come from Debian; install them when missing (root, apt only). */
function ensureTools(): void {
  const missing = [
    ['awscli', AWS],
    ['time', '/usr/bin/time'],
  ].filter(([, path]) => !existsSync(path!));
  if (!missing.length) return;
  say(`installing ${missing.map(([p]) => p).join(', ')} with apt-get`);
  execFileSync('apt-get', ['install', '-y', ...missing.map(([p]) => p!)], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function assertLoopback(emulators: RunningEmulators): void {
  for (const url of Object.values(emulators.endpoints)) {
    if (new URL(url).hostname !== '127.0.0.1') throw new Error(`Emulator endpoint ${url} is not loopback`);
  }
}

interface CachedTable {
  dataVersion: number;
  items: number;
  avgItemBytes: number;
  jsonBytes: number;
  loadMs: number;
}

/**
 * A DynamoDB data folder (dynalite on disk) holding the table with `n` items. Loading 1M
 * items takes minutes, so it is kept under bench/.cache (git-ignored) and reused.
 */
async function preparedTable(n: number, runDir: string, options: Options): Promise<CachedTable & { cached: boolean }> {
  const source = options.cache ? join(CACHE, `table-v${DATA_VERSION}-${n}`) : join(runDir, 'load');
  const metaFile = join(source, 'meta.json');
  let cached = existsSync(metaFile);
  if (!cached) {
    await rm(source, { recursive: true, force: true });
    await mkdir(source, { recursive: true });
    say(`loading ${n} items into dynalite (once; cached in ${source})`);
    const emulators = await core().startEmulators({ dataDir: source, dynamodbOnDisk: true });
    const clients = new (core().AwsClients)(emulators.settings);
    try {
      assertLoopback(emulators);
      await createBenchTable(clients.dynamodb, TABLE);
      let last = Date.now();
      const stats = await loadItems(emulators.endpoints.dynamodb, TABLE, n, {
        onProgress: (done) => {
          checkStop();
          if (Date.now() - last > 10_000) {
            last = Date.now();
            say(`  loaded ${done} / ${n}`);
          }
        },
      });
      const meta: CachedTable = { dataVersion: DATA_VERSION, ...stats };
      say(`  loaded in ${(stats.loadMs / 1000).toFixed(0)} s (${Math.round(n / (stats.loadMs / 1000))} items/s)`);
      clients.destroy();
      await emulators.stop();
      await rm(join(source, 's3'), { recursive: true, force: true });
      await writeFile(metaFile, JSON.stringify(meta, null, 2));
    } catch (err) {
      clients.destroy();
      await emulators.stop();
      await rm(source, { recursive: true, force: true });
      throw err;
    }
  } else {
    cached = true;
  }
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CachedTable;
  const data = join(runDir, 'data');
  await mkdir(data, { recursive: true });
  if (options.cache) await cp(join(source, 'dynamodb'), join(data, 'dynamodb'), { recursive: true });
  else await rename(join(source, 'dynamodb'), join(data, 'dynamodb'));
  return { ...meta, cached };
}

/** The processes that serve a phase, by name: dynalite and s3rver (each in its own process), or the ceiling server. */
type Servers = Record<string, number>;

/**
 * Runs `work` and records, over the same span: each server process's CPU seconds (all threads,
 * and its JavaScript thread), and the whole machine's busy CPU seconds — other processes on a
 * shared machine show up as the difference.
 */
async function observe<T>(servers: Servers, work: () => Promise<T>): Promise<{ result: T } & Observed> {
  checkStop();
  const names = Object.keys(servers);
  const before = names.map((name) => [processCpuSeconds(servers[name]!), mainThreadCpuSeconds(servers[name]!)]);
  const machineBefore = machineBusySeconds();
  const result = await work();
  const machineCpuSeconds = machineBusySeconds() - machineBefore;
  const perServer: Observed['servers'] = {};
  names.forEach((name, i) => {
    perServer[name] = {
      cpuSeconds: processCpuSeconds(servers[name]!) - before[i]![0]!,
      mainThreadCpuSeconds: mainThreadCpuSeconds(servers[name]!) - before[i]![1]!,
    };
  });
  const all = Object.values(perServer);
  return {
    result,
    emulatorCpuSeconds: sum(all.map((x) => x.cpuSeconds)),
    // The busiest server's JavaScript thread: each is single-threaded, so that one limits.
    emulatorMainThreadCpuSeconds: Math.max(...all.map((x) => x.mainThreadCpuSeconds)),
    machineCpuSeconds,
    servers: perServer,
  };
}

interface Observed {
  emulatorCpuSeconds: number;
  emulatorMainThreadCpuSeconds: number;
  machineCpuSeconds: number;
  servers: NonNullable<Phase['servers']>;
}

function checkExit(what: string, r: TimedResult): void {
  if (r.code !== 0) {
    throw new Error(`${what} failed (exit ${r.code ?? r.signal}):\n${r.stderr.slice(-4000)}`);
  }
}

function lastJsonLine<T>(stdout: string): T {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

interface WorkerOutput {
  mode: string;
  report: Record<string, unknown>;
  wallMs: number;
  cpuSeconds: number;
  processCpuSeconds: number;
  peakRssBytes: number;
  mainThreadCpuSeconds: number;
  peaks: Record<string, number>;
}

async function runWorker(
  job: Record<string, unknown>,
  runDir: string,
  options: Options,
  profileDir?: string,
): Promise<{ timing: TimedResult; output: WorkerOutput }> {
  const experiment = typeof job.experiment === 'string' ? job.experiment : '';
  const oldSpace = /^old-space-(\d+)$/.exec(experiment);
  const semiSpace = /^semi-space-(\d+)$/.exec(experiment);
  const args = [
    // The CLI's own flags first, so that --node-args and the experiments below override them.
    ...(snapshot?.cliFlags(String(job.mode)) ?? []),
    ...options.nodeArgs,
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    // Node's own heap limit, no code change: tells live memory from garbage not yet collected.
    ...(oldSpace ? [`--max-old-space-size=${oldSpace[1]}`] : []),
    // The young generation's size: how much short-lived garbage a scavenge clears at once.
    ...(semiSpace ? [`--max-semi-space-size=${semiSpace[1]}`] : []),
    join(BENCH, 'tables', 'worker.mjs'),
    JSON.stringify({ ...job, sharedEntry: snapshot?.entry }),
  ];
  const timing = await timed(process.execPath, args, {
    env: { ...process.env, NODE_NO_WARNINGS: '1', NODE_OPTIONS: '' },
    cwd: ROOT,
    timeoutMs: options.timeoutMs,
    timeFile: join(runDir, `time-${job.mode}.txt`),
    onStderr: (t) => process.stdout.write(t),
  });
  checkExit(`Coldkeep ${job.mode}`, timing);
  return { timing, output: lastJsonLine<WorkerOutput>(timing.stdout) };
}

/** A clean environment for the AWS CLI: emulator credentials, path-style S3, no pager. */
async function awsEnv(runDir: string): Promise<NodeJS.ProcessEnv> {
  const config = join(runDir, 'aws-config');
  await writeFile(config, '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n');
  return {
    PATH: '/usr/bin:/bin',
    HOME: runDir,
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The "Count" the AWS CLI prints after the items, read from the end of its output file. */
async function scanCount(file: string): Promise<number> {
  const size = statSync(file).size;
  const handle = await open(file, 'r');
  try {
    const tail = Buffer.alloc(Math.min(size, 4096));
    await handle.read(tail, 0, tail.length, size - tail.length);
    const m = /"Count":\s*(\d+)/.exec(tail.toString('utf8'));
    if (!m) throw new Error(`No "Count" at the end of ${file}`);
    return Number(m[1]);
  } finally {
    await handle.close();
  }
}

async function deleteTable(settings: RunningEmulators['settings'], table: string): Promise<void> {
  const clients = new (core().AwsClients)(settings);
  try {
    const { DeleteTableCommand } = await import('@aws-sdk/client-dynamodb');
    await clients.dynamodb.send(new DeleteTableCommand({ TableName: table }));
  } finally {
    clients.destroy();
  }
}

async function countItems(clients: AwsClients, table: string): Promise<number> {
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    checkStop();
    const page = await clients.dynamodb.send(
      new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

async function runSize(n: number, options: Options): Promise<SizeResult> {
  const runDir = join(CACHE, `run-${n}-${process.pid}`);
  currentRunDir = runDir;
  const loadAtStart = loadavg();
  await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  let emulators: RunningEmulators | undefined;
  let s3Emulator: RunningEmulators | undefined;
  let clients: AwsClients | undefined;
  try {
    const table = await preparedTable(n, runDir, options);
    // dynalite and s3rver each in a process of its own (the other server in each stays idle),
    // so that each one's CPU, and how busy its single JavaScript thread is, can be told apart.
    emulators = await core().startEmulators({ dataDir: join(runDir, 'data'), dynamodbOnDisk: true });
    s3Emulator = await core().startEmulators({ dataDir: join(runDir, 's3data') });
    assertLoopback(emulators);
    assertLoopback(s3Emulator);
    const endpoints = { ...emulators.endpoints, s3: s3Emulator.endpoints.s3 };
    const settings = { ...emulators.settings, endpoints: { ...emulators.settings.endpoints, s3: endpoints.s3 } };
    const s3 = (clients = new (core().AwsClients)(settings)).s3;
    // dynalite's ItemCount is always 0: count with a scan, which also warms the caches for
    // whichever tool goes first.
    const counted = await countItems(clients, TABLE);
    if (counted !== n) throw new Error(`The table holds ${counted} items, expected ${n}`);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const emuPid: Servers = { dynalite: emulators.pid, s3rver: s3Emulator.pid };
    const segments = options.segments;
    const concurrency = options.concurrency ?? segments;
    say(
      `${n} items: ${(table.jsonBytes / 1e6).toFixed(1)} MB of DynamoDB JSON, ${table.avgItemBytes.toFixed(0)} B/item`,
    );

    const coldkeepBackup = async (run: number, experiment?: string): Promise<Phase & { uri: string }> => {
      const prefix = experiment ? `bench-${experiment}-${run}` : `bench-${run}`;
      const job = { mode: 'backup', settings, table: TABLE, bucket: BUCKET, segments, concurrency, prefix, experiment };
      const o = await observe(emuPid, () => runWorker(job, runDir, options));
      const report = o.result.output.report as {
        uri: string;
        itemCount: number;
        bytes: number;
        uncompressedBytes: number;
        files: number;
      };
      if (report.itemCount !== n) throw new Error(`Coldkeep backed up ${report.itemCount} items, expected ${n}`);
      const phase: Phase & { uri: string } = {
        tool: 'coldkeep',
        phase: experiment ? `experiment: backup with ${experiment}` : 'backup (scan+gzip+upload)',
        items: n,
        ...workerFigures(o),
        processes: 1,
        uri: report.uri,
        detail: {
          storedBytes: report.bytes,
          uncompressedBytes: report.uncompressedBytes,
          files: report.files,
          memoryPeaks: o.result.output.peaks,
        },
      };
      say(`  ${fmtPhase(phase)}`);
      return phase;
    };

    const awsBackup = async (run: number, env: NodeJS.ProcessEnv): Promise<[Phase, Phase, Phase]> => {
      const outDir = join(runDir, 'awscli-out');
      await rm(outDir, { recursive: true, force: true });
      await mkdir(outDir, { recursive: true });
      const scan = await observe(emuPid, async () => {
        const started = process.hrtime.bigint();
        const runs = await Promise.all(
          Array.from({ length: segments }, (_, i) =>
            timed(
              AWS,
              [
                'dynamodb',
                'scan',
                '--table-name',
                TABLE,
                '--total-segments',
                String(segments),
                '--segment',
                String(i),
                '--endpoint-url',
                endpoints.dynamodb,
                '--output',
                'json',
              ],
              {
                env,
                stdoutFile: join(outDir, `segment-${String(i).padStart(4, '0')}.json`),
                timeoutMs: options.timeoutMs,
                timeFile: join(runDir, `time-scan-${i}.txt`),
              },
            ),
          ),
        );
        return { runs, wallSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
      });
      scan.result.runs.forEach((r, i) => checkExit(`aws dynamodb scan segment ${i}`, r));
      const files = await readdir(outDir);
      let scanned = 0;
      for (const file of files) scanned += await scanCount(join(outDir, file));
      if (scanned !== n) throw new Error(`aws dynamodb scan returned ${scanned} items, expected ${n}`);
      const outBytes = files.reduce((s, f) => s + statSync(join(outDir, f)).size, 0);
      const scanPhase: Phase = {
        tool: 'aws-cli',
        phase: `dynamodb scan (${segments} procs)`,
        items: n,
        wallSeconds: scan.result.wallSeconds,
        cpuSeconds: sum(scan.result.runs.map((r) => r.cpuSeconds)),
        // The processes run side by side: together they hold the sum of their peaks (at most).
        peakRssBytes: sum(scan.result.runs.map((r) => r.peakRssBytes)),
        ...observed(scan),
        processes: segments,
        detail: {
          perProcessPeakRssBytes: scan.result.runs.map((r) => r.peakRssBytes),
          perProcessCpuSeconds: scan.result.runs.map((r) => r.cpuSeconds),
          perProcessWallSeconds: scan.result.runs.map((r) => r.wallSeconds),
          outputBytes: outBytes,
        },
      };
      say(`  ${fmtPhase(scanPhase)}`);

      const dest = `awscli/${n}/run-${run}/`;
      const copy = await observe(emuPid, () =>
        timed(
          AWS,
          ['s3', 'cp', outDir, `s3://${BUCKET}/${dest}`, '--recursive', '--endpoint-url', endpoints.s3].concat([
            '--no-progress',
            '--only-show-errors',
          ]),
          { env, timeoutMs: options.timeoutMs, timeFile: join(runDir, 'time-cp.txt') },
        ),
      );
      checkExit('aws s3 cp', copy.result);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: dest }));
      const uploaded = (listed.Contents ?? []).reduce((s, o) => s + (o.Size ?? 0), 0);
      if ((listed.Contents ?? []).length !== segments || uploaded !== outBytes) {
        throw new Error(
          `aws s3 cp stored ${listed.Contents?.length} objects / ${uploaded} bytes, expected ${segments} / ${outBytes}`,
        );
      }
      await rm(outDir, { recursive: true, force: true });
      const copyPhase: Phase = {
        tool: 'aws-cli',
        phase: 's3 cp (uncompressed)',
        items: n,
        wallSeconds: copy.result.wallSeconds,
        cpuSeconds: copy.result.cpuSeconds,
        peakRssBytes: copy.result.peakRssBytes,
        ...observed(copy),
        processes: 1,
        detail: { storedBytes: uploaded },
      };
      say(`  ${fmtPhase(copyPhase)}`);
      const totalServers: NonNullable<Phase['servers']> = {};
      for (const name of Object.keys(scan.servers)) {
        totalServers[name] = {
          cpuSeconds: scan.servers[name]!.cpuSeconds + copy.servers[name]!.cpuSeconds,
          mainThreadCpuSeconds: scan.servers[name]!.mainThreadCpuSeconds + copy.servers[name]!.mainThreadCpuSeconds,
        };
      }
      const total: Phase = {
        tool: 'aws-cli',
        phase: 'backup total (scan + cp)',
        items: n,
        wallSeconds: scanPhase.wallSeconds + copyPhase.wallSeconds,
        cpuSeconds: scanPhase.cpuSeconds + copyPhase.cpuSeconds,
        peakRssBytes: Math.max(scanPhase.peakRssBytes, copyPhase.peakRssBytes),
        emulatorCpuSeconds: scanPhase.emulatorCpuSeconds + copyPhase.emulatorCpuSeconds,
        emulatorMainThreadCpuSeconds: Math.max(...Object.values(totalServers).map((x) => x.mainThreadCpuSeconds)),
        machineCpuSeconds: scanPhase.machineCpuSeconds + copyPhase.machineCpuSeconds,
        servers: totalServers,
        processes: segments + 1,
        detail: { storedBytes: uploaded },
      };
      return [scanPhase, copyPhase, total];
    };

    // 1 and 2, `repeat` times, alternating: Coldkeep's backup, then the AWS CLI's (one
    // `dynamodb scan` process per segment side by side, then `s3 cp` of their files).
    const coldkeepRuns: (Phase & { uri: string })[] = [];
    const awsRuns: [Phase, Phase, Phase][] = [];
    const env = await awsEnv(runDir);
    for (let run = 1; run <= options.repeat; run++) {
      const of = options.repeat > 1 ? ` — run ${run} of ${options.repeat}` : '';
      say(`coldkeep backup (${segments} segments, ${concurrency} at once)${of}`);
      coldkeepRuns.push(await coldkeepBackup(run));
      if (options.peer) {
        say(`aws dynamodb scan (${segments} processes) + aws s3 cp --recursive${of}`);
        awsRuns.push(await awsBackup(run, env));
      }
    }
    const phases: Phase[] = [];
    let itemRestoreProfiles: { itemRestore?: ProfileSummary; readFiles?: ProfileSummary } | undefined;
    const backup = median(coldkeepRuns);
    phases.push(withRuns(backup, coldkeepRuns));
    if (awsRuns.length) {
      const [scanPhase, copyPhase, total] = medianOf(awsRuns);
      phases.push(
        withRuns(
          scanPhase,
          awsRuns.map((r) => r[0]),
        ),
        withRuns(
          copyPhase,
          awsRuns.map((r) => r[1]),
        ),
      );
      phases.push(
        withRuns(
          total,
          awsRuns.map((r) => r[2]),
        ),
      );
    }

    // 3. Coldkeep restore into a new table (created from the saved schema): verify first (the
    // default: every file downloaded, proven and staged before the first write), then the same
    // restore verified per file (each file proven just before it is written), into another table.
    if (options.restore) {
      const restores = [
        {
          verify: 'first',
          target: `${TABLE}-restored`,
          phase: 'restore verify-first (download+verify all, then write+count)',
        },
        {
          verify: 'per-file',
          target: `${TABLE}-restored-per-file`,
          phase: 'restore per-file (download+verify+write+count)',
        },
      ] as const;
      for (const r of restores) {
        say(`coldkeep restore into a new table, --verify ${r.verify}`);
        const job = { mode: 'restore', settings, uri: backup.uri, target: r.target, verify: r.verify };
        const o = await observe(emuPid, () => runWorker(job, runDir, options));
        const report = o.result.output.report as {
          itemsWritten: number;
          countedItems?: number;
          verify?: { strategy: string; bytes: number; bytesDownloaded: number };
        };
        if (report.itemsWritten !== n || report.countedItems !== n) {
          throw new Error(
            `Restore wrote ${report.itemsWritten} items and counted ${report.countedItems}, expected ${n}`,
          );
        }
        phases.push({
          tool: 'coldkeep',
          phase: r.phase,
          items: n,
          ...workerFigures(o),
          processes: 1,
          detail: { memoryPeaks: o.result.output.peaks, verify: report.verify },
        });
        say(`  ${fmtPhase(phases.at(-1)!)}`);
        // The emulator holds every table in memory: drop the restored one before the next.
        await deleteTable(settings, r.target);
      }
    }

    // 3a. Optional: item-level restore of ITEM_KEYS keys spread over the table, into the live
    // table (--conflict overwrite, so every selected item is written), against the time to read
    // the backup's files once (download, SHA-256, gunzip; nothing parsed or written).
    if (options.itemRestore) {
      const keysFile = join(runDir, 'item-keys.jsonl');
      const step = Math.max(1, Math.floor(n / ITEM_KEYS));
      const keys = Array.from({ length: Math.min(ITEM_KEYS, n) }, (_, k) =>
        JSON.stringify({ pk: `customer#${(k * step).toString().padStart(9, '0')}` }),
      );
      await writeFile(keysFile, keys.join('\n') + '\n');
      // Read once before and once after the item restore: the second finds s3rver's files in the
      // page cache too, so the ratio is taken against the faster of the two (the stricter one).
      const readOnce = async (when: string): Promise<{ phase: Phase; jobMs: number }> => {
        say(`read the backup's files once, ${when} (download + SHA-256 + gunzip, nothing parsed)`);
        const read = await observe(emuPid, () =>
          runWorker({ mode: 'read-files', settings, uri: backup.uri }, runDir, options),
        );
        const readReport = read.result.output.report as { lines: number };
        if (readReport.lines !== n) throw new Error(`Reading the files found ${readReport.lines} lines, expected ${n}`);
        const phase: Phase = {
          tool: 'coldkeep',
          phase: `read the backup's files once, ${when} (baseline)`,
          items: n,
          ...workerFigures(read),
          processes: 1,
        };
        say(`  ${fmtPhase(phase)}`);
        return { phase, jobMs: read.result.output.wallMs };
      };
      // Rounds of read, item restore, read (each read shared by its neighbours): on a shared
      // machine one round can land in someone else's burst, so the ratio is the rounds' median.
      const rounds = options.itemRounds;
      const of = (r: number): string => (rounds > 1 ? ` (round ${r} of ${rounds})` : '');
      let before = await readOnce(`before${of(1)}`);
      phases.push(before.phase);
      const ratios: number[] = [];
      for (let round = 1; round <= rounds; round++) {
        say(`coldkeep item-level restore of ${keys.length} keys into the live table${of(round)}`);
        const job = { mode: 'item-restore', settings, uri: backup.uri, target: TABLE, keysFile };
        const o = await observe(emuPid, () => runWorker(job, runDir, options));
        const report = o.result.output.report as { written: number; itemsSelected: number; recordsRead: number };
        if (report.written !== keys.length || report.itemsSelected !== keys.length) {
          throw new Error(
            `Item restore selected ${report.itemsSelected} and wrote ${report.written}, expected ${keys.length}`,
          );
        }
        const itemPhase: Phase = {
          tool: 'coldkeep',
          phase: `item restore of ${keys.length} keys (verify+select+write)${of(round)}`,
          items: n,
          ...workerFigures(o),
          processes: 1,
        };
        const afterRead = await readOnce(`after${of(round)}`);
        const ratio = o.result.output.wallMs / Math.min(before.jobMs, afterRead.jobMs);
        ratios.push(ratio);
        itemPhase.detail = {
          keys: keys.length,
          written: report.written,
          jobSecondsOverReadOnce: Number(ratio.toFixed(2)),
          ...(round === rounds && rounds > 1
            ? {
                roundsJobSecondsOverReadOnce: ratios.map((r) => Number(r.toFixed(2))),
                medianJobSecondsOverReadOnce: Number(medianOfNumbers(ratios).toFixed(2)),
              }
            : {}),
        };
        phases.push(itemPhase, afterRead.phase);
        say(
          `item restore: ${ratio.toFixed(2)}x the time to read the files once (the faster of the two reads around it; target <= 1.5x)`,
        );
        before = afterRead;
      }
      if (rounds > 1) {
        say(
          `item restore over ${rounds} rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${medianOfNumbers(ratios).toFixed(2)}x`,
        );
      }
      if (options.profile) {
        // Where the item restore's and the baseline's main threads go (not in the table).
        const dir = join(CACHE, 'profiles', `${n}-item-restore-${Date.now()}`);
        say(`profiling another item restore and another read of the files (${dir})`);
        const profiles: { itemRestore?: ProfileSummary; readFiles?: ProfileSummary } = {};
        for (const [name, job] of [
          ['itemRestore', { mode: 'item-restore', settings, uri: backup.uri, target: TABLE, keysFile }],
          ['readFiles', { mode: 'read-files', settings, uri: backup.uri }],
        ] as const) {
          await runWorker(job, runDir, options, join(dir, name));
          const [file] = (await readdir(join(dir, name))).filter((f) => f.endsWith('.cpuprofile'));
          if (file) profiles[name] = summarizeProfile(join(dir, name, file));
        }
        itemRestoreProfiles = profiles;
      }
    }

    // 3b. The ceiling: the same backup against a server that answers at once (Scan pages
    // recorded from dynalite, replayed; uploads read and dropped): Coldkeep's own limit.
    if (options.ceiling) {
      say('coldkeep backup against the ceiling server (recorded Scan pages replayed, uploads dropped)');
      const recording = await recordScanPages(endpoints.dynamodb, segments, join(runDir, 'ceiling-recording.json'));
      const server = await startCeiling(recording.file, n);
      try {
        const ceilingSettings = {
          ...settings,
          endpoints: { dynamodb: server.endpoint, s3: server.endpoint, ses: server.endpoint },
        };
        const job = {
          mode: 'backup',
          settings: ceilingSettings,
          table: TABLE,
          bucket: BUCKET,
          segments,
          concurrency,
          prefix: 'bench-ceiling',
        };
        const o = await observe({ ceiling: server.pid }, () => runWorker(job, runDir, options));
        const report = o.result.output.report as { itemCount: number; bytes: number; uncompressedBytes: number };
        if (report.itemCount !== n) throw new Error(`The ceiling backup saw ${report.itemCount} items, expected ${n}`);
        phases.push({
          tool: 'coldkeep',
          phase: 'ceiling: backup, no emulator (instant replay)',
          items: n,
          ...workerFigures(o),
          processes: 1,
          detail: {
            storedBytes: report.bytes,
            uncompressedBytes: report.uncompressedBytes,
            memoryPeaks: o.result.output.peaks,
            recordedPagesPerSegment: CEILING_PAGES,
            pageLimit: recording.limit,
          },
        });
        say(`  ${fmtPhase(phases.at(-1)!)}`);
      } finally {
        server.stop();
      }
    }

    // 4. Optional experiments: Coldkeep's backup with a change made from outside (diagnosis).
    for (const experiment of options.experiments) {
      if (!/^(quiet-logger|(old|semi)-space-\d+)$/.test(experiment))
        throw new Error(`Unknown experiment ${experiment}`);
      say(`coldkeep backup, experiment ${experiment}`);
      const runs: (Phase & { uri: string })[] = [];
      for (let run = 1; run <= options.repeat; run++) runs.push(await coldkeepBackup(run, experiment));
      phases.push(withRuns(median(runs), runs));
    }

    // 5. Optional: where Coldkeep's CPU goes (a further backup under --cpu-prof, not in the table).
    let profile: SizeResult['profile'];
    if (options.profile) {
      const dir = join(CACHE, 'profiles', `${n}-${Date.now()}`);
      say(`profiling another coldkeep backup (${dir})`);
      const job = {
        mode: 'backup',
        settings,
        table: TABLE,
        bucket: BUCKET,
        segments,
        concurrency,
        prefix: 'bench-profile',
      };
      await runWorker(job, runDir, options, dir);
      const [file] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
      if (file) profile = { backup: summarizeProfile(join(dir, file)), file: join(dir, file) };
      if (profile && options.restore) {
        say('profiling another coldkeep restore');
        const restoreDir = join(dir, 'restore');
        const job = { mode: 'restore', settings, uri: backup.uri, target: `${TABLE}-restored-profile` };
        await runWorker(job, runDir, options, restoreDir);
        const [restoreFile] = (await readdir(restoreDir)).filter((f) => f.endsWith('.cpuprofile'));
        if (restoreFile) {
          profile.restore = summarizeProfile(join(restoreDir, restoreFile));
          profile.restoreFile = join(restoreDir, restoreFile);
        }
      }
    }

    return {
      items: n,
      segments,
      concurrency,
      repeat: options.repeat,
      avgItemBytes: table.avgItemBytes,
      jsonBytes: table.jsonBytes,
      tableCached: table.cached,
      loadSeconds: table.loadMs / 1000,
      loadAverage: { start: loadAtStart, end: loadavg() },
      emulatorRssBytesAtEnd: processRssBytes(emulators.pid) + processRssBytes(s3Emulator.pid),
      phases,
      ...(profile || itemRestoreProfiles ? { profile: { ...profile, ...itemRestoreProfiles } } : {}),
    };
  } finally {
    clients?.destroy();
    killRunning();
    await emulators?.stop();
    await s3Emulator?.stop();
    if (!options.keep) await rm(runDir, { recursive: true, force: true });
  }
}

/** Keys the item-level restore step restores (spread evenly over the table). */
const ITEM_KEYS = 1000;

/** Scan pages recorded per segment for the ceiling server, which replays them in turn. */
const CEILING_PAGES = 8;

interface CeilingRecording {
  describeTable: string;
  limit: number;
  totalSegments: number;
  hashKey: string;
  pages: string[][];
}

/**
 * DescribeTable and the first pages of every segment, as dynalite answers them, with the page
 * size Coldkeep will ask for (from the same DescribeTable figures).
 */
async function recordScanPages(
  endpoint: string,
  totalSegments: number,
  file: string,
): Promise<{ file: string; limit: number }> {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true });
  try {
    const describeTable = await post(url, agent, 'DescribeTable', JSON.stringify({ TableName: TABLE }));
    const table = (
      JSON.parse(describeTable) as {
        Table: { ItemCount?: number; TableSizeBytes?: number; KeySchema: { AttributeName: string; KeyType: string }[] };
      }
    ).Table;
    const limit = core().choosePageLimit(table.ItemCount ?? 0, table.TableSizeBytes ?? 0);
    const hashKey = table.KeySchema.find((k) => k.KeyType === 'HASH')!.AttributeName;
    const pages: string[][] = [];
    for (let segment = 0; segment < totalSegments; segment++) {
      const list: string[] = [];
      let start: unknown;
      while (list.length < CEILING_PAGES) {
        const body = await post(
          url,
          agent,
          'Scan',
          JSON.stringify({
            TableName: TABLE,
            Segment: segment,
            TotalSegments: totalSegments,
            Limit: limit,
            ReturnConsumedCapacity: 'TOTAL',
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        const page = JSON.parse(body) as { Count: number; LastEvaluatedKey?: unknown };
        if (page.Count !== limit) break; // the segment's last page: too short to replay
        list.push(body);
        start = page.LastEvaluatedKey;
        if (!start) break;
      }
      if (!list.length) throw new Error(`Segment ${segment} has no full page of ${limit} items to record`);
      pages.push(list);
    }
    const recording: CeilingRecording = { describeTable, limit, totalSegments, hashKey, pages };
    await writeFile(file, JSON.stringify(recording));
    return { file, limit };
  } finally {
    agent.destroy();
  }
}

/** Starts bench/tables/ceiling.mjs in a process of its own on the recording run.ts wrote. */
async function startCeiling(
  recordingFile: string,
  items: number,
): Promise<{ endpoint: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(BENCH, 'tables', 'ceiling.mjs'), recordingFile, String(items)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const line = await new Promise<string>((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (l) => {
      lines.close();
      resolveLine(l);
    });
    child.once('exit', (code) => reject(new Error(`The ceiling server exited (${code}) before it listened`)));
  });
  const { endpoint } = JSON.parse(line) as { endpoint: string };
  if (new URL(endpoint).hostname !== '127.0.0.1') throw new Error(`Ceiling endpoint ${endpoint} is not loopback`);
  return {
    endpoint,
    pid: child.pid!,
    stop: () => {
      child.stdin?.end();
      child.kill('SIGTERM');
    },
  };
}

function observed(o: Observed): Observed {
  return {
    emulatorCpuSeconds: o.emulatorCpuSeconds,
    emulatorMainThreadCpuSeconds: o.emulatorMainThreadCpuSeconds,
    machineCpuSeconds: o.machineCpuSeconds,
    servers: o.servers,
  };
}

function workerFigures(o: { result: { timing: TimedResult; output: WorkerOutput } } & Observed) {
  return {
    wallSeconds: o.result.timing.wallSeconds,
    jobSeconds: o.result.output.wallMs / 1000,
    cpuSeconds: o.result.timing.cpuSeconds,
    jobCpuSeconds: o.result.output.cpuSeconds,
    mainThreadCpuSeconds: o.result.output.mainThreadCpuSeconds,
    peakRssBytes: o.result.timing.peakRssBytes,
    ...observed(o),
  };
}

function medianOfNumbers(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The run with the median wall time (the lower middle one for an even count). */
function median<T extends Phase>(runs: T[]): T {
  return [...runs].sort((a, b) => a.wallSeconds - b.wallSeconds)[Math.floor((runs.length - 1) / 2)]!;
}

function medianOf(runs: [Phase, Phase, Phase][]): [Phase, Phase, Phase] {
  return [...runs].sort((a, b) => a[2].wallSeconds - b[2].wallSeconds)[Math.floor((runs.length - 1) / 2)]!;
}

/** The chosen run, with every run's wall time, CPU and peak RSS kept beside it. */
function withRuns<T extends Phase>(chosen: T, runs: Phase[]): T {
  const { uri: _uri, ...rest } = chosen as T & { uri?: string };
  if (runs.length < 2) return rest as T;
  return {
    ...rest,
    runs: runs.map((r) => ({
      wallSeconds: r.wallSeconds,
      cpuSeconds: r.cpuSeconds,
      peakRssBytes: r.peakRssBytes,
      emulatorCpuSeconds: r.emulatorCpuSeconds,
      machineCpuSeconds: r.machineCpuSeconds,
    })),
  } as T;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function fmtPhase(p: Phase): string {
  return (
    `${p.wallSeconds.toFixed(1)} s wall, ${Math.round(p.items / p.wallSeconds)} items/s, ` +
    `CPU ${p.cpuSeconds.toFixed(1)} s, peak RSS ${(p.peakRssBytes / 2 ** 20).toFixed(0)} MB, ` +
    `emulator CPU ${p.emulatorCpuSeconds.toFixed(1)} s`
  );
}

function toolVersions(): Record<string, string> {
  const version = (pkg: string): string =>
    (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  let aws = 'missing';
  try {
    aws = execFileSync(AWS, ['--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/tmp' } }).trim();
  } catch {
    // reported as missing
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'shared/src'], { cwd: ROOT, encoding: 'utf8' });
    if (dirty.trim()) commit += ' + uncommitted changes in shared/src';
  } catch {
    // not a git checkout
  }
  return {
    node: process.version,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    awscli: aws,
    dynalite: version('dynalite'),
    s3rver: version('s3rver'),
    '@aws-sdk/client-dynamodb': version('@aws-sdk/client-dynamodb'),
    coldkeepCommit: commit,
    coldkeepDist: 'shared/dist as built at the start',
  };
}

/** `--render FILE.json`: write the markdown again from saved results (profiles summarised again). */
async function render(jsonFile: string): Promise<void> {
  const results = JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchResults;
  for (const size of results.sizes) {
    const p = size.profile;
    if (p?.file && existsSync(p.file)) p.backup = summarizeProfile(p.file);
    if (p?.restoreFile && existsSync(p.restoreFile)) p.restore = summarizeProfile(p.restoreFile);
  }
  await writeFile(jsonFile, JSON.stringify(results, null, 2) + '\n');
  await writeFile(jsonFile.replace(/\.json$/, '.md'), toMarkdown(results));
  say(`wrote ${jsonFile.replace(/\.json$/, '.md')}`);
}

async function main(): Promise<void> {
  process.removeAllListeners('warning'); // the SDK's notice about Node 20 support ending in 2027
  const renderAt = process.argv.indexOf('--render');
  if (renderAt > 0) return render(resolve(process.argv[renderAt + 1] ?? ''));
  const options = parseArgs(process.argv.slice(2));
  ensureTools();
  await mkdir(RESULTS, { recursive: true });
  snapshot = await snapshotShared();
  const date = new Date().toISOString().slice(0, 10);
  const name = `tables-${date}${options.label ? `-${options.label}` : ''}`;
  const jsonFile = join(RESULTS, `${name}.json`);
  const mdFile = join(RESULTS, `${name}.md`);
  // Sizes run on the same day accumulate in one file; a size run again replaces its entry.
  const previous: BenchResults | undefined =
    options.save && existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchResults) : undefined;
  const results: BenchResults = {
    date,
    environment: toolVersions(),
    method: 'see bench/README.md',
    sizes: previous?.sizes ?? [],
  };
  results.environment.coldkeepDist = `${results.environment.coldkeepDist} (sha256 ${snapshot.sha256.slice(0, 12)})`;
  const cliFlags = { backup: snapshot.cliFlags('backup').join(' '), restore: snapshot.cliFlags('restore').join(' ') };
  if (cliFlags.backup || cliFlags.restore)
    results.environment.workerCliFlags = `backup ${cliFlags.backup || 'none'}, restores ${cliFlags.restore || 'none'}`;
  if (options.nodeArgs.length) results.environment.workerNodeArgs = options.nodeArgs.join(' ');
  for (const n of options.items) {
    const size = { ...(await runSize(n, options)), environment: results.environment };
    results.sizes = [...results.sizes.filter((s) => s.items !== n), size].sort((a, b) => a.items - b.items);
    results.finishedAt = new Date().toISOString();
    if (!options.save) continue;
    await writeFile(jsonFile, JSON.stringify(results, null, 2) + '\n');
    await writeFile(mdFile, toMarkdown(results));
    say(`wrote ${jsonFile} and ${mdFile}`);
  }
  process.stdout.write('\n' + toMarkdown(results));
}

async function cleanUpSnapshot(): Promise<void> {
  if (snapshot) await rm(snapshot.dir, { recursive: true, force: true });
}

// On Ctrl-C: end the measured children now and stop at the next step, so the run fails and
// its cleanup (emulators, run folder) happens; leave at the latest 30 s later, removing the run
// folder. The emulators also stop by themselves when our pipe to them closes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping`);
    stopping = signal;
    killRunning();
    setTimeout(() => {
      killRunning();
      if (currentRunDir) rmSync(currentRunDir, { recursive: true, force: true });
      if (snapshot) rmSync(snapshot.dir, { recursive: true, force: true });
      process.exit(130);
    }, 30_000).unref();
  });
}

main().then(cleanUpSnapshot, async (err: unknown) => {
  killRunning();
  await cleanUpSnapshot();
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
