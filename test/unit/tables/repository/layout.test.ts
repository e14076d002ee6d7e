// Where a table backup's objects live: <prefix>/tables/<account>/<region>/<table>/<backupId>/…, and back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BackupLocation, backupDir, dataFileKey, manifestKey, parseManifestKey, s3Uri } from '@coldkeep/shared';

describe('layout', () => {
  const loc: BackupLocation = {
    bucket: 'bkt',
    prefix: 'coldkeep',
    account: '123456789012',
    region: 'eu-west-1',
    table: 'Orders.v2',
    backupId: '20261122T134501Z-3f9c',
  };

  test('keys follow <prefix>/tables/<account>/<region>/<table>/<backupId>/…', () => {
    assert.equal(backupDir(loc), 'coldkeep/tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/');
    assert.equal(
      manifestKey(loc),
      'coldkeep/tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/manifest.json',
    );
    assert.equal(
      dataFileKey(loc, 3, 12),
      'coldkeep/tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/data/0003-0012.json.gz',
    );
    // Zero padding keeps keys in segment/part order; wider numbers still work.
    assert.match(dataFileKey(loc, 12345, 1), /\/data\/12345-0001\.json\.gz$/);
    assert.equal(
      s3Uri('bkt', backupDir(loc)),
      's3://bkt/coldkeep/tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/',
    );
  });

  test('parseManifestKey reads a manifest key back into its location', () => {
    assert.deepEqual(parseManifestKey('bkt', manifestKey(loc)), loc);
    const nested = { ...loc, prefix: 'team/a/backups' };
    assert.deepEqual(parseManifestKey('bkt', manifestKey(nested)), nested);
  });

  test('an empty prefix puts tables/ at the bucket root and still round-trips', () => {
    const root = { ...loc, prefix: '' };
    assert.equal(manifestKey(root), 'tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/manifest.json');
    assert.equal(
      dataFileKey(root, 0, 1),
      'tables/123456789012/eu-west-1/Orders.v2/20261122T134501Z-3f9c/data/0000-0001.json.gz',
    );
    assert.deepEqual(parseManifestKey('bkt', manifestKey(root)), root);
  });

  test('parseManifestKey rejects keys outside the layout', () => {
    assert.equal(parseManifestKey('bkt', 'coldkeep/tables/1/r/T/id/data/0000-0001.json.gz'), undefined);
    assert.equal(parseManifestKey('bkt', 'coldkeep/tables/1/r/T/manifest.json'), undefined);
    assert.equal(parseManifestKey('bkt', 'coldkeep/other/1/r/T/id/manifest.json'), undefined);
    assert.equal(parseManifestKey('bkt', 'coldkeep/tables/1/r/T/id/manifest.json.bak'), undefined);
  });
});
