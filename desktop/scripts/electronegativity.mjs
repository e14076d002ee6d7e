#!/usr/bin/env node
// Security lint of the desktop app with Electronegativity. It exits 0 even with findings, so this
// reads its SARIF and fails on every finding that the allow-list (desktop/electronegativity-allowlist.json)
// does not name with a reason. Run through npx, pinned, not as a project dependency: it cannot load
// TypeScript 7 and pins old parsers.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const VERSION = '1.10.3';
const ELECTRON = '45.4.1';
const desktop = join(import.meta.dirname, '..');
const input = join(desktop, 'src');
const outDir = join(desktop, '..', '.tmp');
const sarif = join(outDir, 'electronegativity.sarif');
mkdirSync(outDir, { recursive: true });

const run = spawnSync(
  'npx',
  [
    '-y',
    '-p',
    `@doyensec/electronegativity@${VERSION}`,
    'electronegativity',
    '-i',
    input,
    '-r',
    '-e',
    ELECTRON,
    '-o',
    sarif,
  ],
  {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require=${join(import.meta.dirname, 'electronegativityOffline.cjs')}`]
        .filter(Boolean)
        .join(' '),
    },
  },
);
if (run.status !== 0) {
  process.stderr.write(run.stdout + run.stderr);
  console.error(`electronegativity failed to run (exit ${run.status}).`);
  process.exit(2);
}

const results = JSON.parse(readFileSync(sarif, 'utf8')).runs.flatMap((r) => r.results ?? []);
const allowed = JSON.parse(readFileSync(join(desktop, 'electronegativity-allowlist.json'), 'utf8')).findings;
const key = (rule, file) => `${rule} ${file}`;
const allowedKeys = new Map(allowed.map((a) => [key(a.rule, a.file), a]));
const used = new Set();
const untriaged = [];
for (const result of results) {
  const location = result.locations?.[0]?.physicalLocation;
  const file = location?.artifactLocation?.uri ?? '?';
  const k = key(result.ruleId, file);
  if (allowedKeys.has(k)) used.add(k);
  else
    untriaged.push(
      `${relative(process.cwd(), join(input, file))}:${location?.region?.startLine ?? 0}  ${result.ruleId}  ${result.message?.text ?? ''}`,
    );
}
for (const entry of allowed) {
  if (!used.has(key(entry.rule, entry.file)))
    console.warn(`note: allow-list entry ${entry.rule} ${entry.file} matched nothing; remove it.`);
}
console.log(
  `electronegativity ${VERSION}: ${results.length} finding(s), ${results.length - untriaged.length} triaged in the allow-list.`,
);
if (untriaged.length) {
  console.error(
    `Untriaged findings (fix them, or add them with a reason to desktop/electronegativity-allowlist.json):\n  ${untriaged.join('\n  ')}`,
  );
  process.exit(1);
}
