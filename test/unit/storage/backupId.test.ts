// Backup ids: a UTC stamp that sorts by time, read back to the second.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backupIdTime, isBackupId, newBackupId } from '@coldkeep/shared';

describe('backup ids', () => {
  test('newBackupId is a UTC stamp, then the milliseconds and random bytes in hex', () => {
    const id = newBackupId(new Date('2026-11-22T13:45:01.987Z'), () => Buffer.from([0x3f, 0x9c]));
    assert.equal(id, '20261122T134501Z-3db3f9c');
    assert.equal(isBackupId(id), true);
    assert.match(newBackupId(), /^\d{8}T\d{6}Z-[0-9a-f]{7}$/);
  });

  test('isBackupId', () => {
    assert.equal(isBackupId('20261122T134501Z-3f9c'), true);
    assert.equal(isBackupId('20261122T134501Z-3f9c0a'), true);
    assert.equal(isBackupId('20261122T134501Z-3F9C'), false);
    assert.equal(isBackupId('20261122T134501Z'), false);
    assert.equal(isBackupId('2026-11-22T13:45:01Z-3f9c'), false);
    assert.equal(isBackupId('latest'), false);
    assert.equal(isBackupId('x20261122T134501Z-3f9c'), false);
  });

  test('backupIdTime recovers the time, to the second; undefined for foreign ids', () => {
    assert.equal(backupIdTime('20261122T134501Z-3f9c')?.toISOString(), '2026-11-22T13:45:01.000Z');
    assert.equal(backupIdTime('my-backup'), undefined);
  });

  test('ids sort by time, to the millisecond, whatever the random bytes', () => {
    const times = [
      '2027-01-01T00:00:00Z',
      '2026-12-31T23:59:59Z',
      '2026-11-22T13:45:01.900Z',
      '2026-11-22T13:45:01.020Z',
      '2026-11-22T13:45:02Z',
      '2026-02-01T00:00:00Z',
      '2026-10-01T00:00:00Z',
    ];
    const suffixes = [0xffff, 0x0000, 0x0001, 0x8000, 0x0001, 0xabcd, 0x1234];
    const ids = times.map((t, i) => {
      const s = Buffer.alloc(2);
      s.writeUInt16BE(suffixes[i]!);
      return newBackupId(new Date(t), () => s);
    });
    const byId = [...ids].sort();
    const byTime = times
      .map((t, i) => [new Date(t).getTime(), ids[i]!] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, id]) => id);
    assert.deepEqual(byId, byTime, 'two backups in the same second sort by their milliseconds');
  });
});
