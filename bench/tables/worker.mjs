// @ts-check
/**
 * Runs ONE Coldkeep job (backup or restore) in a process of its own, so its CPU and peak
 * memory are Coldkeep's alone, and prints one JSON line with the report and the measures.
 *
 *   node bench/tables/worker.mjs '{"mode":"backup","settings":{...},"table":"t","bucket":"b","segments":4}'
 *   node bench/tables/worker.mjs '{"mode":"restore","settings":{...},"uri":"s3://b/...","target":"t2"}'
 *   node bench/tables/worker.mjs '{"mode":"read-files","settings":{...},"uri":"s3://b/..."}'
 *   node bench/tables/worker.mjs '{"mode":"item-restore","settings":{...},"uri":"s3://b/...","target":"t","keysFile":"k.jsonl"}'
 *
 * Plain JavaScript on purpose: run under `--import tsx`, the TypeScript loader alone adds
 * about 45 MB of RSS, which would be charged to Coldkeep. This loads the built package
 * (`npm run build`), as the CLI and the apps do.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const job = JSON.parse(process.argv[2] ?? '{}');
// run.ts passes its snapshot of shared/dist, so a rebuild during a long run changes nothing.
/** @type {typeof import('@coldkeep/shared')} */
const { AwsClients, backupTable, planRestore, restoreItems, restoreTable } = require(
  job.sharedEntry ?? '@coldkeep/shared',
);
const { GetObjectCommand } = require('@aws-sdk/client-s3');

/**
 * The backup's files read once, the least any restore must do: each downloaded (4 at once, as a
 * restore does), hashed and gunzipped, its lines counted, nothing parsed or written.
 * @param {import('@coldkeep/shared').AwsClients} clients
 * @param {string} uri
 */
async function readFilesOnce(clients, uri) {
  const plan = await planRestore(clients.s3, { uri });
  const queue = [...plan.files];
  let lines = 0;
  let bytes = 0;
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const answer = await clients.s3.send(new GetObjectCommand({ Bucket: plan.bucket, Key: file.key }));
      const hash = createHash('sha256');
      const gunzip = createGunzip();
      /** @type {import('node:stream').Readable} */ (answer.Body).on('data', (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      /** @type {import('node:stream').Readable} */ (answer.Body).pipe(gunzip);
      for await (const chunk of gunzip) {
        const buffer = /** @type {Buffer} */ (chunk);
        for (let at = buffer.indexOf(0x0a); at >= 0; at = buffer.indexOf(0x0a, at + 1)) lines++;
      }
      if (file.sha256 && hash.digest('hex') !== file.sha256) throw new Error(`${file.key} is damaged`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { files: plan.files.length, lines, bytes };
}

/** @param {string} field */
function procStatus(field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
}

/** CPU seconds of this process's main thread (the JavaScript; zlib and GC run on others). */
function mainThreadCpuSeconds() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

for (const url of Object.values(job.settings?.endpoints ?? {})) {
  if (new URL(String(url)).hostname !== '127.0.0.1') throw new Error(`Refusing non-loopback endpoint ${url}`);
}

// Where the memory goes: the peaks of V8's heap and of memory outside it (Buffers, zlib).
const peaks = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, rss: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const k of /** @type {(keyof typeof peaks)[]} */ (Object.keys(peaks))) peaks[k] = Math.max(peaks[k], m[k]);
};
const sampler = setInterval(sample, 100);

let lastLog = 0;
/** @param {string} text */
const log = (text) => {
  if (Date.now() - lastLog < 5000) return;
  lastLog = Date.now();
  process.stderr.write(`  [${job.mode}] ${text}\n`);
};

const clients = new AwsClients(job.settings);
if (job.experiment === 'quiet-logger') {
  // Diagnosis only, never in the measured rows: the SDK's logger middleware evaluates
  // `logger?.info?.({ output: outputFilterSensitiveLog(output) })` for every response, a
  // schema-driven deep copy of each Scan page, even with the default no-op logger. A logger
  // without `info` skips that copy. This shows what Coldkeep would save by passing one.
  const quiet = { trace() {}, debug() {}, warn() {}, error() {} };
  /** @type {any} */ (clients.dynamodb.config).logger = quiet;
  /** @type {any} */ (clients.s3.config).logger = quiet;
}
const cpu0 = process.cpuUsage();
const main0 = mainThreadCpuSeconds();
const t0 = performance.now();
let report;
try {
  if (job.mode === 'backup') {
    report = await backupTable(
      clients,
      {
        table: job.table,
        bucket: job.bucket,
        prefix: job.prefix ?? 'bench',
        ...(job.segments ? { segments: job.segments } : {}),
        ...(job.concurrency ? { concurrency: job.concurrency } : {}),
      },
      { onProgress: (p) => log(`${p.phase} ${p.items} items`) },
    );
  } else if (job.mode === 'restore') {
    report = await restoreTable(
      clients,
      { source: { uri: job.uri }, target: job.target },
      { onProgress: (p) => log(`${p.phase} ${p.itemsWritten} items`) },
    );
  } else if (job.mode === 'read-files') {
    report = await readFilesOnce(clients, job.uri);
  } else if (job.mode === 'item-restore') {
    report = await restoreItems(
      clients,
      { source: { uri: job.uri }, target: job.target, keysFile: job.keysFile, conflict: job.conflict ?? 'overwrite' },
      { onProgress: (p) => log(`${p.phase} ${p.filesDone}/${p.filesTotal} files, ${p.written} written`) },
    );
  } else {
    throw new Error(`Unknown mode ${job.mode}`);
  }
} finally {
  clients.destroy();
  clearInterval(sampler);
}
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
sample();
const total = process.cpuUsage();
process.stdout.write(
  JSON.stringify({
    mode: job.mode,
    report,
    wallMs,
    // The job alone, and the whole process (Node start-up and module loading included).
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cpuUserSeconds: cpu.user / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    processCpuSeconds: (total.user + total.system) / 1e6,
    mainThreadCpuSeconds: mainThreadCpuSeconds() - main0,
    peakRssBytes: procStatus('VmHWM') ?? process.resourceUsage().maxRSS * 1024,
    peaks,
  }) + '\n',
);
