// A drill reads each restored file back from the disk: a file other than the snapshot says (in
// size or content) or not there at all is a mismatch; one as the snapshot says is not.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FileEntry } from '@coldkeep/shared';
import { checkRestoredFile } from '@coldkeep/shared/dist/folders/drill/checkRestored';

describe('checkRestoredFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coldkeep-check-restored-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const body = Buffer.from('the restored content');
  const entry: FileEntry = {
    type: 'file',
    path: 'a.txt',
    size: body.length,
    mtimeMs: 0,
    mode: 0o644,
    sha256: createHash('sha256').update(body).digest('hex'),
  };

  test('as the snapshot says: no problem', async () => {
    await writeFile(join(dir, 'good'), body);
    assert.equal(await checkRestoredFile(entry, join(dir, 'good')), undefined);
  });

  test('same size, other bytes: on-disk-mismatch, with the hash found', async () => {
    await writeFile(join(dir, 'changed'), Buffer.from('THE restored content'));
    const found = await checkRestoredFile(entry, join(dir, 'changed'));
    assert.equal(found?.problem, 'on-disk-mismatch');
    assert.match(found?.detail ?? '', /^hashes to [0-9a-f]{64} on disk, the snapshot says /);
  });

  test('another size: on-disk-mismatch; absent: not-written', async () => {
    await writeFile(join(dir, 'short'), 'short');
    assert.deepEqual(await checkRestoredFile(entry, join(dir, 'short')), {
      problem: 'on-disk-mismatch',
      detail: `5 bytes on disk, the snapshot says ${body.length}`,
    });
    assert.equal((await checkRestoredFile(entry, join(dir, 'absent')))?.problem, 'not-written');
  });
});
