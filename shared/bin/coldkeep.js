#!/usr/bin/env node
// The `coldkeep` command (package.json "bin"). It lives outside dist/ so that npm links it at
// install time, before the first build, and so that it can say what is wrong in plain words.
'use strict';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(
    `coldkeep needs Node.js 20.19 or newer; this is ${process.version} (${process.execPath}).\n` +
      'Install a current Node.js LTS and run coldkeep again.\n',
  );
  process.exit(2);
}

let cli;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS launcher: it must load dist/ only after the checks above
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('coldkeep is not built yet: run "npm run build" in the Coldkeep checkout first.\n');
    process.exit(2);
  }
  throw err;
}
cli.run();
