// @ts-check
/**
 * Runs ONE Coldkeep folder job (backup or restore) in a process of its own, so its CPU and peak
 * RSS are Coldkeep's alone, and prints one JSON line with the report. Plain JavaScript, loading
 * the built package, for the same reason as bench/tables/worker.mjs (no TypeScript loader RSS).
 *
 *   node bench/files/worker.mjs '{"mode":"backup","settings":{...},"dir":"...","bucket":"b","source":"s"}'
 *
 * `keys` ({ passphrase }) is passed to the job as the CLI passes it: an encrypted source.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const job = JSON.parse(process.argv[2] ?? '{}');
/** @type {typeof import('@coldkeep/shared')} */
const { AwsClients, backupFolder, restoreSnapshot } = require(job.sharedEntry ?? '@coldkeep/shared');

for (const url of Object.values(job.settings?.endpoints ?? {})) {
  if (new URL(String(url)).hostname !== '127.0.0.1') throw new Error(`Refusing non-loopback endpoint ${url}`);
}
let peakHeap = 0;
const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 100);
let last = 0;
/** @param {string} text */
const log = (text) => {
  if (Date.now() - last < 10_000) return;
  last = Date.now();
  process.stderr.write(`  [${job.mode}] ${text}\n`);
};
const clients = new AwsClients(job.settings);
const t0 = performance.now();
let report;
try {
  if (job.mode === 'backup') {
    report = await backupFolder(
      clients,
      {
        dir: job.dir,
        bucket: job.bucket,
        prefix: 'bench',
        source: job.source,
        ...(job.keys ? { keys: job.keys } : {}),
        ...(job.concurrency ? { concurrency: job.concurrency } : {}),
      },
      { onProgress: (p) => log(`${p.phase} ${p.files} files, ${p.uploadedBlobs} uploaded`) },
    );
  } else {
    report = await restoreSnapshot(
      clients,
      {
        bucket: job.bucket,
        prefix: 'bench',
        source: job.source,
        snapshotId: 'latest',
        target: job.target,
        ...(job.keys ? { keys: job.keys } : {}),
      },
      { onProgress: (p) => log(`${p.phase} ${p.filesDone}/${p.files}`) },
    );
  }
} finally {
  clearInterval(sampler);
  clients.destroy();
}
process.stdout.write(JSON.stringify({ report, jobMs: performance.now() - t0, peakHeapBytes: peakHeap }) + '\n');
