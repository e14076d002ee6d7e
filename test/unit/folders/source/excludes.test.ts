// Source names and exclude rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSourceName, excludeRules, isExcluded, isExcludedEntry } from '@coldkeep/shared';

describe('source names and excludes', () => {
  test('the default source name is the folder name and a hash of host and path', () => {
    assert.match(defaultSourceName('/home/me/My Documents', 'laptop'), /^My_Documents-[0-9a-f]{8}$/);
    assert.equal(defaultSourceName('/home/me/src', 'laptop'), defaultSourceName('/home/me/src/', 'laptop'));
    assert.notEqual(defaultSourceName('/home/me/src', 'laptop'), defaultSourceName('/work/src', 'laptop'));
    assert.notEqual(defaultSourceName('/home/me/src', 'laptop'), defaultSourceName('/home/me/src', 'desktop'));
  });
  test('default excludes, gitignore negation, and folders matched with their slash', () => {
    const rules = excludeRules(['*.log', '!keep.log', 'build/']);
    assert.equal(isExcluded(rules, 'a/.DS_Store', false), true);
    assert.equal(isExcluded(rules, 'x/debug.log', false), true);
    assert.equal(isExcluded(rules, 'keep.log', false), false);
    assert.equal(isExcluded(rules, 'app/build', true), true);
    assert.equal(isExcluded(rules, 'app/build', false), false, 'a file named build is not the folder');
    assert.equal(isExcluded(excludeRules([], false), '.DS_Store', false), false);
  });
  test('a walk entry is judged by its name when every pattern is about names, else by its path', () => {
    const byName = excludeRules(['*.log', '!keep.log', 'build/']);
    assert.equal(byName.byName, true);
    for (const [path, isDir, expected] of [
      ['a/b/debug.log', false, true],
      ['a/b/keep.log', false, false],
      ['a/build', true, true],
      ['a/build', false, false],
      ['a/.DS_Store', false, true],
      ['a/b/c.txt', false, false],
    ] as const) {
      const name = path.slice(path.lastIndexOf('/') + 1);
      assert.equal(isExcludedEntry(byName, path, name, isDir), expected, path);
      assert.equal(isExcluded(byName, path, isDir), expected, `${path}: the same as by path`);
    }
    const byPath = excludeRules(['/top.txt', 'docs/*.md', '**/tmp/']);
    assert.equal(byPath.byName, false);
    assert.equal(isExcludedEntry(byPath, 'top.txt', 'top.txt', false), true);
    assert.equal(isExcludedEntry(byPath, 'a/top.txt', 'top.txt', false), false, 'anchored at the root');
    assert.equal(isExcludedEntry(byPath, 'docs/x.md', 'x.md', false), true);
    assert.equal(isExcludedEntry(byPath, 'src/x.md', 'x.md', false), false);
    assert.equal(isExcludedEntry(byPath, 'a/b/tmp', 'tmp', true), true);
  });
});
