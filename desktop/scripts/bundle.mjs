#!/usr/bin/env node
// Bundles the two parts of the desktop app that cannot load modules from disk: the sandboxed
// preload (may require only 'electron') and the renderer (a page without Node). Type checking is
// tsc's job (tsc -b); this only bundles. Run after tsc, from anywhere.
import { build } from 'esbuild';
import { join } from 'node:path';

const desktop = join(import.meta.dirname, '..');
const common = { bundle: true, sourcemap: true, logLevel: 'warning', legalComments: 'none' };

await Promise.all([
  build({
    ...common,
    entryPoints: [join(desktop, 'src/preload/preload.ts')],
    outfile: join(desktop, 'dist/preload/preload.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['electron'],
  }),
  build({
    ...common,
    entryPoints: [join(desktop, 'src/renderer/renderer.ts')],
    outfile: join(desktop, 'dist/renderer/renderer.js'),
    platform: 'browser',
    format: 'iife',
    target: 'chrome140',
  }),
]);
