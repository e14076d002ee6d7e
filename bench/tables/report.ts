/** The benchmark's results: types, and the markdown written to bench/results/. */
import type { ProfileSummary } from './profile';

export interface Phase {
  tool: 'coldkeep' | 'aws-cli';
  phase: string;
  items: number;
  /** Wall time of the whole process(es), start-up included. */
  wallSeconds: number;
  /** Coldkeep only: the job itself, without Node start-up. */
  jobSeconds?: number;
  /** user + system CPU of the tool's process(es), from /usr/bin/time (start-up included). */
  cpuSeconds: number;
  /** Coldkeep only: CPU of the job itself (process.cpuUsage around it, all threads). */
  jobCpuSeconds?: number;
  /** Coldkeep only: CPU of its main (JavaScript) thread during the job. */
  mainThreadCpuSeconds?: number;
  /** Peak RSS; for N processes side by side, the sum of their peaks. */
  peakRssBytes: number;
  /** The emulators' process (dynalite + s3rver), all threads. */
  emulatorCpuSeconds: number;
  /** The emulators' JavaScript thread: near 1 CPU-second per second means it is saturated. */
  emulatorMainThreadCpuSeconds: number;
  /**
   * Each server process over the phase (dynalite and s3rver run in a process each; the ceiling
   * step's replay server): CPU seconds, all threads, and its JavaScript thread's.
   */
  servers?: Record<string, { cpuSeconds: number; mainThreadCpuSeconds: number }>;
  /** Busy CPU of the whole machine over the phase: minus tool and emulator, other processes. */
  machineCpuSeconds: number;
  processes: number;
  /** With --repeat: every run (the row shows the median one). */
  runs?: {
    wallSeconds: number;
    cpuSeconds: number;
    peakRssBytes: number;
    emulatorCpuSeconds: number;
    machineCpuSeconds: number;
  }[];
  detail?: Record<string, unknown>;
}

export interface SizeResult {
  items: number;
  segments: number;
  concurrency: number;
  repeat?: number;
  avgItemBytes: number;
  /** The table as DynamoDB JSON lines ({"Item":{...}} per line): what MB/s is measured on. */
  jsonBytes: number;
  tableCached: boolean;
  /** The machine's load average (1, 5, 15 min) when the size started and ended: others' work on a shared machine. */
  loadAverage?: { start: number[]; end: number[] };
  loadSeconds: number;
  emulatorRssBytesAtEnd: number;
  phases: Phase[];
  /** Tools and Coldkeep build this size ran with (sizes run on different days or builds differ). */
  environment?: Record<string, string>;
  profile?: {
    backup?: ProfileSummary;
    file?: string;
    restore?: ProfileSummary;
    restoreFile?: string;
    /** Step 5b under `--profile`: an item restore and a read of the files once. */
    itemRestore?: ProfileSummary;
    readFiles?: ProfileSummary;
  };
}

export interface BenchResults {
  date: string;
  finishedAt?: string;
  environment: Record<string, string>;
  method: string;
  sizes: SizeResult[];
}

const MB = 1e6;
const MiB = 2 ** 20;
const f = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const pct = (x: number): string => `${Math.round(x * 100)}%`;

function row(p: Phase, s: SizeResult): string {
  const cells = [
    p.tool,
    p.phase,
    p.items.toLocaleString('en-US'),
    p.runs && p.runs.length > 1
      ? `${f(p.wallSeconds)} (${f(Math.min(...p.runs.map((r) => r.wallSeconds)))}–${f(Math.max(...p.runs.map((r) => r.wallSeconds)))})`
      : f(p.wallSeconds),
    Math.round(p.items / p.wallSeconds).toLocaleString('en-US'),
    f(s.jsonBytes / MB / p.wallSeconds, 2),
    f(p.cpuSeconds),
    f((p.cpuSeconds / p.items) * 100_000, 2),
    f(p.peakRssBytes / MiB, 0),
    f(p.emulatorCpuSeconds),
    serversBusy(p),
    pct(p.cpuSeconds / p.wallSeconds),
    f(Math.max(0, p.machineCpuSeconds - p.cpuSeconds - p.emulatorCpuSeconds)),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** Each server's JavaScript thread, busy as a share of the wall time ("dynalite 77% / s3rver 12%"). */
function serversBusy(p: Phase): string {
  if (!p.servers) return pct(p.emulatorMainThreadCpuSeconds / p.wallSeconds);
  return Object.entries(p.servers)
    .map(([name, x]) => `${name} ${pct(x.mainThreadCpuSeconds / p.wallSeconds)}`)
    .join(' / ');
}

const HEADER = [
  '| tool | phase | items | wall s | items/s | MB/s (DDB JSON) | tool CPU s | tool CPU s / 100k items | tool peak RSS MB | server CPU s | server JS thread busy | tool CPU / wall | other processes CPU s |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];

export function find(s: SizeResult, tool: Phase['tool'], prefix: string): Phase | undefined {
  return s.phases.find((p) => p.tool === tool && p.phase.startsWith(prefix));
}

export interface Ratios {
  wall: number;
  cpuPerItem: number;
  versus: string;
}

/** Coldkeep's backup against the AWS CLI's (scan + cp, and scan alone). < 1 means Coldkeep uses less. */
export function ratios(s: SizeResult): Ratios[] {
  const ck = find(s, 'coldkeep', 'backup');
  if (!ck) return [];
  return (['backup total', 'dynamodb scan'] as const)
    .map((prefix) => find(s, 'aws-cli', prefix))
    .filter((p): p is Phase => p !== undefined)
    .map((aws) => ({
      versus: aws.phase,
      wall: ck.wallSeconds / aws.wallSeconds,
      cpuPerItem: ck.cpuSeconds / ck.items / (aws.cpuSeconds / aws.items),
    }));
}

/** Other processes' CPU during a run, as a share of its wall time. */
const disturbance = (r: NonNullable<Phase['runs']>[number]): number =>
  Math.max(0, r.machineCpuSeconds - r.cpuSeconds - r.emulatorCpuSeconds) / r.wallSeconds;

/**
 * The machine is shared: the same ratios from each tool's least-disturbed run (the least CPU used
 * by other processes), when the backups were repeated.
 */
function quietRatio(s: SizeResult): string | undefined {
  const ck = find(s, 'coldkeep', 'backup')?.runs;
  const aws = find(s, 'aws-cli', 'backup total')?.runs;
  if (!ck?.length || !aws?.length) return undefined;
  const pick = (runs: NonNullable<Phase['runs']>) => [...runs].sort((a, b) => disturbance(a) - disturbance(b))[0]!;
  const a = pick(ck);
  const b = pick(aws);
  return (
    `- least-disturbed runs (other processes ${pct(disturbance(a))} and ${pct(disturbance(b))} of a CPU): ` +
    `Coldkeep ${f(a.wallSeconds)} s / ${f(a.cpuSeconds)} CPU-s, AWS CLI ${f(b.wallSeconds)} s / ${f(b.cpuSeconds)} CPU-s: ` +
    `wall ${f(a.wallSeconds / b.wallSeconds, 2)}×, CPU per item ${f(a.cpuSeconds / b.cpuSeconds, 2)}×`
  );
}

function bottleneck(p: Phase): string {
  const emu = p.emulatorMainThreadCpuSeconds / p.wallSeconds;
  const toolMain = p.mainThreadCpuSeconds !== undefined ? p.mainThreadCpuSeconds / p.wallSeconds : undefined;
  const tool = p.cpuSeconds / p.wallSeconds;
  const parts = [p.servers ? `JS threads busy: ${serversBusy(p)}` : `emulator JS thread ${pct(emu)} busy`];
  if (toolMain !== undefined) parts.push(`Coldkeep JS thread ${pct(toolMain)} busy (all threads ${pct(tool)})`);
  else parts.push(`tool ${pct(tool)} of one CPU`);
  let verdict: string;
  if (emu >= 0.85 && (toolMain ?? tool) < emu) verdict = 'emulator-bound';
  else if ((toolMain ?? tool) >= 0.85) verdict = 'tool-bound';
  else if (emu + tool >= 1.7) verdict = 'CPU-bound (both cores in use)';
  else verdict = 'neither saturated (waiting on each other / I/O)';
  return `${verdict}: ${parts.join(', ')}`;
}

export function toMarkdown(r: BenchResults): string {
  const out: string[] = [];
  out.push(`# Table backup benchmark — ${r.date}`, '');
  out.push(
    'Coldkeep (`backupTable` / `restoreTable`, each in its own Node process) against the AWS CLI ' +
      '(`aws dynamodb scan --total-segments N --segment i`, one process per segment, then `aws s3 cp`), ' +
      'on dynalite (on disk) and s3rver, each in a process of its own, all on 127.0.0.1. ' +
      "CPU and peak RSS from `/usr/bin/time` (whole processes, start-up included); each server's CPU from " +
      '`/proc/<pid>/stat` over each phase. MB/s is of the table as DynamoDB JSON lines. The ceiling row is ' +
      'the same backup against a server that replays recorded Scan pages at once and drops uploads. How to run and ' +
      'read it: bench/README.md.',
    '',
  );
  out.push(
    'Environment: ' +
      Object.entries(r.environment)
        .map(([k, v]) => `${k} ${v}`)
        .join('; '),
    '',
  );
  for (const s of r.sizes) {
    out.push(
      `## ${s.items.toLocaleString('en-US')} items`,
      '',
      ...(s.environment && JSON.stringify(s.environment) !== JSON.stringify(r.environment)
        ? [
            'Ran with: ' +
              Object.entries(s.environment)
                .filter(([k, v]) => r.environment[k] !== v)
                .map(([k, v]) => `${k} ${v}`)
                .join('; '),
            '',
          ]
        : []),
      `${f(s.avgItemBytes, 0)} B per item (DynamoDB size), ${f(s.jsonBytes / MB, 1)} MB as DynamoDB JSON; ` +
        `${s.segments} segments, Coldkeep scanning ${s.concurrency} at once. ` +
        `Table ${s.tableCached ? 'from the cache' : `loaded in ${f(s.loadSeconds, 0)} s`}.` +
        (s.loadAverage
          ? ` Load average (1/5/15 min) ${s.loadAverage.start.map((x) => f(x, 2)).join(' / ')} at the start, ` +
            `${s.loadAverage.end.map((x) => f(x, 2)).join(' / ')} at the end.`
          : ''),
      '',
      ...HEADER,
      ...s.phases.map((p) => row(p, s)),
      '',
    );
    const ck = find(s, 'coldkeep', 'backup');
    const restore = find(s, 'coldkeep', 'restore');
    const rs = ratios(s);
    if (rs.length) {
      out.push('Coldkeep backup ÷ AWS CLI (below 1: Coldkeep uses less):', '');
      for (const x of rs) {
        out.push(
          `- vs ${x.versus}: wall ${f(x.wall, 2)}× (${f(1 / x.wall, 2)}× as fast), CPU per item ${f(x.cpuPerItem, 2)}×`,
        );
      }
      const quiet = quietRatio(s);
      if (quiet) out.push(quiet);
      out.push('');
    }
    if (ck) {
      const d = ck.detail as { storedBytes?: number; memoryPeaks?: Record<string, number> } | undefined;
      out.push('Where the time goes (backup):', '', `- Coldkeep backup: ${bottleneck(ck)}`);
      const scan = find(s, 'aws-cli', 'dynamodb scan');
      if (scan) out.push(`- AWS CLI scan: ${bottleneck(scan)}`);
      const cp = find(s, 'aws-cli', 's3 cp');
      if (cp) out.push(`- AWS CLI s3 cp: ${bottleneck(cp)}`);
      if (restore) out.push(`- Coldkeep restore: ${bottleneck(restore)}`);
      for (const x of s.phases.filter((p) => p.phase.startsWith('experiment'))) {
        out.push(`- Coldkeep ${x.phase}: ${bottleneck(x)}`);
      }
      out.push('');
      if (d?.memoryPeaks) {
        const m = d.memoryPeaks;
        out.push(
          `Coldkeep backup memory peaks (sampled every 100 ms): RSS ${f(m.rss! / MiB, 0)} MB, V8 heap used ` +
            `${f(m.heapUsed! / MiB, 0)} MB of ${f(m.heapTotal! / MiB, 0)} MB, external ${f(m.external! / MiB, 0)} MB ` +
            `(ArrayBuffers ${f(m.arrayBuffers! / MiB, 0)} MB). Stored ${f((d.storedBytes ?? 0) / MB, 1)} MB gzip.`,
          '',
        );
      }
      if (restore?.detail?.memoryPeaks) {
        const m = restore.detail.memoryPeaks as Record<string, number>;
        out.push(
          `Coldkeep restore memory peaks: RSS ${f(m.rss! / MiB, 0)} MB, V8 heap used ${f(m.heapUsed! / MiB, 0)} MB of ` +
            `${f(m.heapTotal! / MiB, 0)} MB, external ${f(m.external! / MiB, 0)} MB.`,
          '',
        );
      }
    }
    out.push(...bottleneckSection(s));
    for (const [what, p] of [
      ['backup', s.profile?.backup],
      ['restore', s.profile?.restore],
      ['item restore', s.profile?.itemRestore],
      ['read of the files once', s.profile?.readFiles],
    ] as const) {
      if (!p) continue;
      out.push(
        `CPU profile of a further Coldkeep ${what} under \`--cpu-prof\` (main thread, ${f(p.busySeconds, 1)} s busy, ` +
          `${f(p.idleSeconds, 1)} s idle; zlib and GC helper threads are not in it; self time):`,
        '',
        '| self time | share | package / module |',
        '|---:|---:|---|',
        ...p.byArea.slice(0, 10).map((a) => `| ${f(a.seconds, 2)} s | ${pct(a.share)} | ${a.area} |`),
        '',
        '| self time | share | function |',
        '|---:|---:|---|',
        ...p.byFunction.slice(0, 12).map((a) => `| ${f(a.seconds, 2)} s | ${pct(a.share)} | \`${a.fn}\` |`),
        '',
      );
      if (p.inclusive?.length) {
        out.push(
          'Inclusive (the function and all it calls): ' +
            p.inclusive.map((a) => `\`${a.fn}\` ${pct(a.share)} (${f(a.seconds, 2)} s)`).join(', ') +
            '.',
          '',
        );
      }
    }
  }
  const targets = targetChecks(r);
  if (targets.length) out.push('## Targets', '', ...targets, '');
  return out.join('\n');
}

/**
 * Coldkeep alone (the ceiling step) against what dynalite can serve. dynalite answers on one
 * JavaScript thread, so the CPU seconds that thread spent on the real backup bound its rate even
 * with a core of its own: items ÷ those seconds. That bound, unlike wall time, barely moves with
 * other work on a shared machine. `factor` is Coldkeep's rate alone over that bound (above 1: the
 * emulator is the tighter limit); `wallFactor` the plain ratio of the two runs' wall times.
 */
export function ceilingFactor(
  s: SizeResult,
):
  | { real: Phase; ceiling: Phase; emulatorMaxRate: number; ceilingRate: number; factor: number; wallFactor: number }
  | undefined {
  const real = find(s, 'coldkeep', 'backup');
  const ceiling = find(s, 'coldkeep', 'ceiling');
  if (!real || !ceiling) return undefined;
  const dynaliteSeconds = real.servers?.dynalite?.mainThreadCpuSeconds ?? real.emulatorMainThreadCpuSeconds;
  const emulatorMaxRate = real.items / dynaliteSeconds;
  // The job's own time: Node's start-up is no part of a rate.
  const ceilingRate = ceiling.items / (ceiling.jobSeconds ?? ceiling.wallSeconds);
  return {
    real,
    ceiling,
    emulatorMaxRate,
    ceilingRate,
    factor: ceilingRate / emulatorMaxRate,
    wallFactor: real.wallSeconds / ceiling.wallSeconds,
  };
}

/** The explicit answer to "is the emulator or Coldkeep the limit?", from the real run and the ceiling step. */
/**
 * The emulator is shown to be the bottleneck only when Coldkeep alone runs clearly faster than
 * the emulator can serve: within 1.5x, run-to-run noise on this shared machine could swap them.
 */
function bottleneckVerdict(factor: number): string {
  if (factor >= 1.5) return 'met';
  return factor >= 1 ? 'NOT SHOWN (the two limits are within noise of each other)' : 'MISSED';
}

function bottleneckSection(s: SizeResult): string[] {
  const c = ceilingFactor(s);
  if (!c) return [];
  const { real, ceiling } = c;
  const rate = (x: number): string => Math.round(x).toLocaleString('en-US');
  const busy = (seconds: number | undefined, p: Phase): string =>
    seconds === undefined ? '–' : pct(seconds / p.wallSeconds);
  const servers = Object.entries(real.servers ?? {});
  const other = Math.max(0, real.machineCpuSeconds - real.cpuSeconds - real.emulatorCpuSeconds);
  const dynalite = real.servers?.dynalite;
  const lines = [
    'Is the emulator or Coldkeep the limit of the backup?',
    '',
    `- With the emulators: ${f(real.wallSeconds)} s, ${rate(real.items / real.wallSeconds)} items/s. Share of the ` +
      `wall time each process's JavaScript thread was busy: ` +
      servers
        .map(([name, x]) => `${name} ${busy(x.mainThreadCpuSeconds, real)} (${f(x.cpuSeconds)} CPU-s in all)`)
        .join(', ') +
      `, Coldkeep ${busy(real.mainThreadCpuSeconds, real)} (${f(real.cpuSeconds)} CPU-s in all, ` +
      `${pct(real.cpuSeconds / real.wallSeconds)} of one CPU with zlib and GC threads); other processes ${f(other)} CPU-s` +
      (other > 0.2 * real.wallSeconds ? ' (a loaded machine: this wall time is inflated)' : '') +
      '.',
    `- Without them (the ceiling step: the same backup against a server that replays recorded dynalite Scan ` +
      `pages at once and drops uploads): ${f(ceiling.wallSeconds)} s, **${rate(c.ceilingRate)} items/s** (over the job's own ` +
      `${f(ceiling.jobSeconds ?? ceiling.wallSeconds)} s, without Node's start-up), ` +
      `Coldkeep's JavaScript thread ${busy(ceiling.mainThreadCpuSeconds, ceiling)} busy, ` +
      `${f((ceiling.cpuSeconds / ceiling.items) * 100_000, 2)} CPU-s per 100k items, peak RSS ${f(ceiling.peakRssBytes / MiB, 0)} MB; ` +
      `the replay server used ${f(ceiling.emulatorCpuSeconds)} CPU-s.`,
    `- dynalite's JavaScript thread needed ${f(dynalite?.mainThreadCpuSeconds ?? real.emulatorMainThreadCpuSeconds)} CPU-s ` +
      `for the ${real.items.toLocaleString('en-US')} items: even with a core to itself it serves at most ` +
      `**${rate(c.emulatorMaxRate)} items/s**.`,
  ];
  if (c.factor > 1) {
    lines.push(
      `- So the emulator is the tighter limit: Coldkeep alone runs ${f(c.factor, 2)}× the rate dynalite can serve ` +
        `(${f(c.wallFactor, 1)}× this run's rate). On this 2-CPU machine both share the CPUs, so the backup ` +
        `runs below both limits.`,
    );
  } else {
    lines.push(
      `- So Coldkeep is the tighter limit: alone it reaches only ${f(c.factor, 2)}× the rate dynalite can serve ` +
        `(${f(c.wallFactor, 1)}× this run's rate).`,
    );
  }
  return [...lines, ''];
}

function targetChecks(r: BenchResults): string[] {
  const lines: string[] = [];
  for (const s of r.sizes) {
    const ck = find(s, 'coldkeep', 'backup');
    const restore = find(s, 'coldkeep', 'restore');
    const aws = find(s, 'aws-cli', 'backup total');
    const n = s.items.toLocaleString('en-US');
    if (s.items >= 1_000_000) {
      for (const p of [ck, restore]) {
        if (!p) continue;
        const mb = p.peakRssBytes / MiB;
        lines.push(
          `- ${n} items, Coldkeep ${p.phase.split(' ')[0]} peak RSS under 200 MB: ${mb < 200 ? 'met' : 'MISSED'} (${f(mb, 0)} MB)`,
        );
      }
    }
    const items = s.phases.filter((p) => p.phase.startsWith('item restore') && p.detail?.jobSecondsOverReadOnce);
    if (items.length) {
      const last = items.at(-1)!.detail as { jobSecondsOverReadOnce: number; medianJobSecondsOverReadOnce?: number };
      const x = last.medianJobSecondsOverReadOnce ?? last.jobSecondsOverReadOnce;
      lines.push(
        `- ${n} items, item restore of 1,000 keys at most 1.5× the time to read the backup's files once: ${x <= 1.5 ? 'met' : 'MISSED'} (${f(x, 2)}×${items.length > 1 ? `, the median of ${items.length} rounds: ${items.map((p) => f((p.detail as { jobSecondsOverReadOnce: number }).jobSecondsOverReadOnce, 2)).join(', ')}` : ''})`,
      );
    }
    const perFile = find(s, 'coldkeep', 'restore per-file');
    if (restore && perFile) {
      const x = restore.wallSeconds / perFile.wallSeconds;
      lines.push(
        `- ${n} items, restore verify-first wall at most 1.15× per-file: ${x <= 1.15 ? 'met' : 'MISSED'} (${f(x, 2)}×: ${f(restore.wallSeconds, 1)} s against ${f(perFile.wallSeconds, 1)} s)`,
      );
      if (s.items >= 1_000_000) {
        const mb = perFile.peakRssBytes / MiB;
        lines.push(
          `- ${n} items, Coldkeep restore per-file peak RSS under 200 MB: ${mb < 200 ? 'met' : 'MISSED'} (${f(mb, 0)} MB)`,
        );
      }
    }
    if (ck && aws) {
      const x = ratios(s)[0]!;
      lines.push(
        `- ${n} items, Coldkeep CPU per item below the AWS CLI's: ${x.cpuPerItem < 1 ? 'met' : 'MISSED'} (${f(x.cpuPerItem, 2)}×)`,
      );
    }
    const c = ceilingFactor(s);
    if (c) {
      lines.push(
        `- ${n} items, the emulator (not Coldkeep) is the bottleneck of the backup: ${bottleneckVerdict(c.factor)} ` +
          `(Coldkeep alone ${Math.round(c.ceilingRate).toLocaleString('en-US')} items/s, ` +
          `${f(c.factor, 2)}× the ${Math.round(c.emulatorMaxRate).toLocaleString('en-US')} items/s dynalite's JavaScript thread can serve)`,
      );
    } else if (ck) {
      const emu = ck.emulatorMainThreadCpuSeconds / ck.wallSeconds;
      const tool = (ck.mainThreadCpuSeconds ?? ck.cpuSeconds) / ck.wallSeconds;
      const met = emu >= 0.85 && tool < emu;
      lines.push(
        `- ${n} items, the emulator (not Coldkeep) is the bottleneck of the backup: ${met ? 'met' : 'MISSED'} ` +
          `(emulator JS thread ${pct(emu)} busy, Coldkeep JS thread ${pct(tool)} busy)`,
      );
    }
  }
  return lines;
}
