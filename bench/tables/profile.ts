/** Where a Node process's main-thread time went, from a V8 .cpuprofile (`node --cpu-prof`). */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  /** Sampled time that was not idle, in seconds. */
  busySeconds: number;
  idleSeconds: number;
  /** Self time by package / Node module, share of busy time. */
  byArea: { area: string; seconds: number; share: number }[];
  /** Self time by function, share of busy time. */
  byFunction: { fn: string; seconds: number; share: number }[];
  /** Time in a function and everything it called (each sample counted once per function). */
  inclusive?: { fn: string; seconds: number; share: number }[];
}

/** Functions whose inclusive time says where a job's time goes; the rest is reported by self time. */
const INCLUSIVE_OF_INTEREST = [
  'schemaLogFilter', // the SDK's logger middleware: a copy of every input and output, for a no-op logger
  'deserializeResponse',
  'serializeRequest',
  'splitScanBody', // a Scan page's items cut out of the response body as text
  'lineToItem',
  'writePage',
  'signRequest',
];

/** Coldkeep's built code: shared/dist, or run.ts's snapshot of it (bench/.cache/coldkeep-dist-PID/dist). */
const COLDKEEP_DIST = /^(?:file:\/\/)?.*\/(?:shared|coldkeep-dist-\d+)\/dist\/(.*)$/;

function area(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const coldkeep = COLDKEEP_DIST.exec(url);
  if (coldkeep) return `coldkeep ${coldkeep[1]!.replace(/\/.*$/, '')}`;
  return url.replace(/^.*\//, '');
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // Self time per node from the samples and their time deltas (microseconds).
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const next = deltas[i + 1] ?? 0;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + Math.max(0, next));
  }
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id)!;
    const seconds = micros / 1e6;
    if (node.callFrame.functionName === '(idle)') {
      idle += seconds;
      continue;
    }
    busy += seconds;
    const a = area(node);
    areas.set(a, (areas.get(a) ?? 0) + seconds);
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(COLDKEEP_DIST, 'coldkeep/$1')}:${lineNumber + 1}`
      : '';
    const fn = `${functionName || '(anonymous)'} ${where}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + seconds);
  }
  // Inclusive time of a few functions: walk each sample's stack once.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    const micros = Math.max(0, deltas[i + 1] ?? 0);
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)!.callFrame.functionName;
      if (INCLUSIVE_OF_INTEREST.includes(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + micros / 1e6);
      }
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, seconds]) => ({ seconds, share: busy ? seconds / busy : 0, k }));
  return {
    busySeconds: busy,
    idleSeconds: idle,
    byArea: rank(areas).map(({ k, seconds, share }) => ({ area: k, seconds, share })),
    byFunction: rank(fns).map(({ k, seconds, share }) => ({ fn: k, seconds, share })),
    inclusive: rank(inclusive).map(({ k, seconds, share }) => ({ fn: k, seconds, share })),
  };
}

// `node --import tsx bench/tables/profile.ts FILE.cpuprofile` prints the summary.
if (require.main === module && process.argv[2]) {
  const s = summarizeProfile(process.argv[2], Number(process.argv[3] ?? 20));
  console.log(`busy ${s.busySeconds.toFixed(2)} s, idle ${s.idleSeconds.toFixed(2)} s`);
  for (const a of s.byArea)
    console.log(`${(a.share * 100).toFixed(1).padStart(5)}%  ${a.seconds.toFixed(2)} s  ${a.area}`);
  console.log('');
  for (const f of s.byFunction)
    console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.seconds.toFixed(2)} s  ${f.fn}`);
  console.log('\ninclusive:');
  for (const f of s.inclusive ?? [])
    console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.seconds.toFixed(2)} s  ${f.fn}`);
}
