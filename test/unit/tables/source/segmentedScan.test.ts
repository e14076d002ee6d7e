// Scan planning: items per page and the number of segments for a table's size.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { choosePageLimit, chooseTotalSegments } from '@coldkeep/shared';

const MiB = 1024 * 1024;

describe('scan planning', () => {
  test('choosePageLimit: about 256 KiB of items per Scan page, 1,000 items when the size is unknown', () => {
    assert.equal(choosePageLimit(1_000_000, 258_000_000), 1016);
    assert.equal(choosePageLimit(10, 10 * 400 * 1024), 100, 'at least 100 items, even of 400 KB items');
    assert.equal(choosePageLimit(1000, 50_000), 5243, 'small items: more per page');
    assert.equal(choosePageLimit(0, 0), 1000, 'DescribeTable figures not there yet (new table, emulators)');
  });

  test('chooseTotalSegments: one per 64 MiB, at least 4 past 8 MiB, at most 1000', () => {
    assert.equal(chooseTotalSegments(0), 1);
    assert.equal(chooseTotalSegments(1), 1);
    assert.equal(chooseTotalSegments(8 * MiB), 1);
    assert.equal(chooseTotalSegments(8 * MiB + 1), 4);
    assert.equal(chooseTotalSegments(256 * MiB), 4);
    assert.equal(chooseTotalSegments(256 * MiB + 1), 5);
    assert.equal(chooseTotalSegments(300 * MiB), 5);
    assert.equal(chooseTotalSegments(6400 * MiB), 100);
    assert.equal(chooseTotalSegments(64_000 * MiB), 1000);
    assert.equal(chooseTotalSegments(10 * 1024 * 1024 * MiB), 1000);
  });
});
