#!/usr/bin/env node
// Runs AWS's CloudFormation linter (cfn-lint) on every template in infra-templates/: what real
// CloudFormation refuses (E…) and what it warns about (W…) fails the check. A warning kept on
// purpose is suppressed in the template's Metadata (cfn-lint: config: ignore_checks), with its reason.
// Usage: node shared/scripts/lintTemplates.mjs   (npm run lint:templates)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const dir = join(root, 'infra-templates');
const templates = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => relative(root, join(dir, f)));

const run = spawnSync('cfn-lint', ['--', ...templates], { cwd: root, stdio: 'inherit' });
if (run.error && run.error.code === 'ENOENT') {
  console.error(
    'lint:templates: cfn-lint (the AWS CloudFormation linter) is not installed or not on PATH.\n' +
      'Install it with "pip install cfn-lint" (or "pipx install cfn-lint"), then run "npm run lint:templates" again.',
  );
  process.exit(1);
}
if (run.error) {
  console.error(`lint:templates: cfn-lint could not run: ${run.error.message}`);
  process.exit(1);
}
if (run.status !== 0) {
  console.error(`lint:templates: cfn-lint found problems in ${templates.length} template(s) (exit ${run.status}).`);
  process.exit(1);
}
console.log(`lint:templates: cfn-lint found no error and no warning in ${templates.length} template(s).`);
