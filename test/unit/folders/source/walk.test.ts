// Walking a folder: what it yields, in which order, and what it leaves out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ColdkeepError, excludeRules, walkFolder, type WalkItem } from '@coldkeep/shared';

describe('folder walk', () => {
  const walked = async (root: string, options: Partial<Parameters<typeof walkFolder>[1]> = {}): Promise<string[]> => {
    const seen: string[] = [];
    for await (const item of walkFolder(root, { excludes: excludeRules(['build/']), ...options }))
      seen.push(`${item.type} ${item.path}${item.type === 'skipped' ? ` (${item.reason.split(' ')[0]})` : ''}`);
    return seen;
  };

  test('depth first, byte order, excludes never entered, links not followed, special files and big files noted', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coldkeep-walk-'));
    try {
      // More names than one stat slice holds, so the walk reads a folder in several slices.
      await mkdir(join(root, 'b'));
      for (let i = 0; i < 600; i++) await writeFile(join(root, 'b', `f${String(i).padStart(3, '0')}`), '');
      await mkdir(join(root, 'build', 'deep'), { recursive: true });
      await writeFile(join(root, 'build', 'deep', 'x'), '');
      await writeFile(join(root, 'a.txt'), 'a');
      await writeFile(join(root, 'Z.txt'), 'z');
      await writeFile(join(root, 'big.bin'), Buffer.alloc(100));
      await writeFile(join(root, '.DS_Store'), '');
      await symlink('b', join(root, 'link'));
      execFileSync('mkfifo', [join(root, 'pipe')]);

      const seen = await walked(root, { maxFileSize: 50 });
      assert.deepEqual(seen.slice(0, 4), ['file Z.txt', 'file a.txt', 'dir b', 'file b/f000']);
      assert.deepEqual(
        seen.filter((s) => !s.startsWith('file b/')),
        ['file Z.txt', 'file a.txt', 'dir b', 'skipped big.bin (larger)', 'symlink link', 'skipped pipe (named)'],
      );
      const inB = seen.filter((s) => s.startsWith('file b/'));
      assert.equal(inB.length, 600);
      assert.deepEqual(inB, [...inB].sort(), 'the folder in order across its stat slices');
      const anchored = await walked(root, { excludes: excludeRules(['/b/f1*', 'build/', '/a.txt']) });
      assert.equal(
        anchored.filter((s) => s.startsWith('file b/')).length,
        500,
        'a pattern with a path is matched on the path',
      );
      assert.ok(!anchored.includes('file a.txt') && anchored.includes('file Z.txt'));

      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        walked(root, { signal: controller.signal }),
        (err: ColdkeepError) => err.code === 'Cancelled',
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a root that cannot be listed is one skipped item', async () => {
    const items: WalkItem[] = [];
    for await (const item of walkFolder(join(tmpdir(), 'coldkeep-walk-missing-folder'), { excludes: excludeRules() }))
      items.push(item);
    assert.deepEqual(items, [
      {
        type: 'skipped',
        path: '.',
        kind: 'vanished',
        entry: 'folder',
        reason: 'deleted while the backup ran',
        whatToDo: 'Nothing to do: it no longer exists.',
      },
    ]);
  });
});
