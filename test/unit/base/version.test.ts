import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TOOL_VERSION } from '@coldkeep/shared';

test('the version in manifests and the user agent is the package version', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'shared', 'package.json'), 'utf8')) as {
    version: string;
  };
  assert.equal(TOOL_VERSION, pkg.version);
});
