#!/usr/bin/env node
// The `coldkeep` command (package.json "bin"). It lives outside dist/ so that npm links it at
// install time, before the first build, and so that it can say what is wrong in plain words.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher: it loads dist/ only after the checks below */

// Node 24 is the runtime Coldkeep is built and tested on (package.json "engines"): the LTS line
// that Electron 45 and current VS Code ship.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `coldkeep needs Node.js 24 or newer; this is ${process.version} (${process.execPath}).\n` +
      'Install Node.js 24 LTS and run coldkeep again.\n',
  );
  process.exit(2);
}

let cli;
try {
  // First of all, before the CLI's code is loaded only to be loaded again: the process restarts
  // itself once with V8's young generation capped (dist/cli/youngGeneration.js says why).
  require('../dist/cli/youngGeneration.js').restartWithCappedYoungGeneration();
  // V8's compiled code for the CLI's modules is kept on disk between runs (Node's module compile
  // cache, in the OS temp folder): a short command spends most of its time compiling the SDK.
  require('node:module').enableCompileCache?.();
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist\/cli\/(main|youngGeneration)\.js/.test(String(err.message))) {
    process.stderr.write('coldkeep is not built yet: run "npm run build" in the Coldkeep checkout first.\n');
    process.exit(2);
  }
  throw err;
}
cli.run();
