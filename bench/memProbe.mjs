// @ts-check
/**
 * A diagnostic preload for the benchmarks' workers (never loaded by Coldkeep itself): samples
 * the process's memory every 50 ms and, at exit, writes where the RSS was at its peak (V8's
 * spaces, external and ArrayBuffer memory), the largest of each, and how often V8 collected, to
 * `memprobe-<mode>-<pid>.json` in the folder MEM_PROBE_OUT names (default /tmp; the folder
 * benchmark gives its workers a clean environment, so there it is always /tmp).
 *
 *   MEM_PROBE_OUT=/tmp/p npm run bench:tables -- --items 100k --no-peer --node-args "--import $PWD/bench/memProbe.mjs"
 *   npm run bench:files -- --datasets small --tools coldkeep --node-args "--import $PWD/bench/memProbe.mjs"
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

const MB = 2 ** 20;
const outDir = process.env.MEM_PROBE_OUT ?? '/tmp';
const started = performance.now();
const mode = (() => {
  try {
    return String(JSON.parse(process.argv[2] ?? '{}').mode ?? 'job');
  } catch {
    return 'job';
  }
})();

/** @param {number} n */
const mb = (n) => Math.round((n / MB) * 10) / 10;

function sample() {
  const m = process.memoryUsage();
  /** @type {Record<string, number>} */
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) {
    if (s.space_size > 0) spaces[s.space_name] = mb(s.space_size);
  }
  return {
    atSeconds: Math.round(performance.now() - started) / 1000,
    rss: mb(m.rss),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
    spaces,
  };
}

let peak = sample();
const maxOf = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0, newSpace: 0 };
const timeline = [];
let ticks = 0;
const timer = setInterval(() => {
  const s = sample();
  if (s.rss > peak.rss) peak = s;
  maxOf.heapTotal = Math.max(maxOf.heapTotal, s.heapTotal);
  maxOf.heapUsed = Math.max(maxOf.heapUsed, s.heapUsed);
  maxOf.external = Math.max(maxOf.external, s.external);
  maxOf.arrayBuffers = Math.max(maxOf.arrayBuffers, s.arrayBuffers);
  maxOf.newSpace = Math.max(maxOf.newSpace, s.spaces.new_space ?? 0);
  if (ticks++ % 10 === 0) timeline.push(s);
}, 50);
timer.unref();

/** @type {Record<string, { count: number; ms: number }>} */
const gc = {};
const kinds = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const detail = /** @type {{ kind?: number }} */ (e.detail ?? {});
    const kind = kinds[/** @type {1|2|4|8} */ (detail.kind ?? 0)] ?? String(detail.kind);
    const g = (gc[kind] ??= { count: 0, ms: 0 });
    g.count++;
    g.ms += e.duration;
  }
});
observer.observe({ entryTypes: ['gc'] });

process.on('exit', () => {
  const cpu = process.cpuUsage();
  for (const g of Object.values(gc)) g.ms = Math.round(g.ms);
  const file = join(outDir, `memprobe-${mode}-${process.pid}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        mode,
        execArgv: process.execArgv,
        node: process.version,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        wallSeconds: (performance.now() - started) / 1000,
        peakRssSample: peak,
        maxOf,
        gc,
        heapLimitMB: mb(v8.getHeapStatistics().heap_size_limit),
        timeline,
      },
      null,
      1,
    ),
  );
});
