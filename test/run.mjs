#!/usr/bin/env node
// Runs the compiled test files (test/out/**/*.test.js) with Node's own test runner.
// Usage: node test/run.mjs [unit|integration|e2e|<path fragment>]...
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, 'out');
const filters = process.argv.slice(2);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

// A compiled test whose source was moved or deleted stays in out/ (tsc -b never removes outputs):
// run only the files that still have their .ts beside the sources, so a moved test runs once.
const hasSource = (f) => existsSync(join(import.meta.dirname, relative(root, f).replace(/\.js$/, '.ts')));

const files = find(root)
  .filter(hasSource)
  .filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`No test files matched ${filters.join(' ') || '(all)'} under ${root}. Run "npm run build" first.`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
