#!/usr/bin/env node
// Bundles Coldkeep's scheduled table backup (shared/src/lambda/tableBackupHandler.ts) into one
// CommonJS file with esbuild, the AWS SDK included, and zips it for Lambda (handler index.handler).
// The zip is reproducible (fixed timestamps and order): same code, same bytes, same S3 key.
// Usage: node shared/scripts/buildLambda.mjs [--out DIR] [--unpacked]   (default DIR: infra-templates/dist)
// Writes DIR/table-backup.zip; with --unpacked also the same files in DIR/table-backup/ (to read or run).
import { createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import yazl from 'yazl';

const root = resolve(import.meta.dirname, '..', '..');
const outIndex = process.argv.indexOf('--out');
const outDir = resolve(outIndex > 0 ? process.argv[outIndex + 1] : join(root, 'infra-templates', 'dist'));
const zipPath = join(outDir, 'table-backup.zip');

const result = await build({
  entryPoints: [join(root, 'shared', 'src', 'lambda', 'tableBackupHandler.ts')],
  bundle: true,
  platform: 'node',
  // The template's Lambda runtime, nodejs24.x: the same Node line as the CLI and the tests.
  target: 'node24',
  format: 'cjs',
  minify: true,
  keepNames: true,
  sourcemap: 'external',
  sourcesContent: false,
  legalComments: 'none',
  outfile: join(outDir, 'index.js'),
  write: false,
  logLevel: 'warning',
});

const files = result.outputFiles
  .map((f) => ({ name: f.path.endsWith('.map') ? 'index.js.map' : 'index.js', contents: Buffer.from(f.contents) }))
  .sort((a, b) => a.name.localeCompare(b.name));
if (process.argv.includes('--unpacked')) {
  await mkdir(join(outDir, 'table-backup'), { recursive: true });
  for (const f of files) await writeFile(join(outDir, 'table-backup', f.name), f.contents);
}
await mkdir(dirname(zipPath), { recursive: true });
const zip = new yazl.ZipFile();
const mtime = new Date('2000-01-01T00:00:00Z');
for (const f of files) zip.addBuffer(f.contents, f.name, { mtime, mode: 0o100644 });
zip.end();
await new Promise((done, fail) => {
  const out = createWriteStream(zipPath);
  out.on('close', done).on('error', fail);
  zip.outputStream.on('error', fail).pipe(out);
});
const js = files.find((f) => f.name === 'index.js').contents.length;
console.log(
  `Lambda bundle: ${relative(process.cwd(), zipPath) || zipPath} (${(await stat(zipPath)).size} bytes zipped, index.js ${js} bytes)`,
);
