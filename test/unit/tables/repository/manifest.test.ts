// parseManifest: a backup's manifest checked field by field.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BackupManifest, ColdkeepError, parseManifest } from '@coldkeep/shared';

describe('parseManifest', () => {
  const valid: BackupManifest = {
    format: 'coldkeep.table-backup',
    formatVersion: 1,
    backupId: '20261122T134501Z-3f9c',
    tool: { name: 'coldkeep', version: '0.1.0' },
    engine: 'scan',
    source: { account: '123456789012', region: 'us-east-1', table: 'T' },
    schema: {
      tableName: 'T',
      keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
      globalSecondaryIndexes: [],
      localSecondaryIndexes: [],
      approximateItemCount: 2,
      approximateSizeBytes: 100,
    },
    startedAt: '2026-11-22T13:45:01.000Z',
    finishedAt: '2026-11-22T13:45:03.000Z',
    itemCount: 2,
    uncompressedBytes: 80,
    bytes: 60,
    segments: { total: 1, consistentRead: false },
    files: [
      {
        key: 'data/0000-0001.json.gz',
        segment: 0,
        part: 1,
        items: 2,
        bytes: 60,
        uncompressedBytes: 80,
        sha256: 'a'.repeat(64),
      },
    ],
    storage: { lifecycleTag: { key: 'coldkeep-lifecycle', value: 'archive' } },
  };
  // Wrong values are cast with `as never`: the point is to write what the type forbids.
  const withChange = (change: (m: BackupManifest) => void): string => {
    const copy = structuredClone(valid);
    change(copy);
    return JSON.stringify(copy);
  };

  test('a valid manifest parses to itself', () => {
    assert.deepEqual(parseManifest(JSON.stringify(valid), 's3://b/m'), valid);
  });

  test('bad JSON → ManifestInvalid naming the object', () => {
    assert.throws(
      () => parseManifest('{"format": "coldkeep.tab', 's3://b/x/manifest.json'),
      (err: unknown) => {
        assert.ok(err instanceof ColdkeepError);
        assert.equal(err.code, 'ManifestInvalid');
        assert.match(err.message, /s3:\/\/b\/x\/manifest\.json is not valid JSON/);
        assert.ok(err.hint);
        return true;
      },
    );
  });

  test('wrong shape → ManifestInvalid naming the field', () => {
    const cases: [string, (m: BackupManifest) => void, RegExp][] = [
      ['format', (m) => (m.format = 'something.else' as never), /\(format: /],
      ['formatVersion', (m) => (m.formatVersion = 2 as never), /\(formatVersion: /],
      ['itemCount', (m) => (m.itemCount = -1), /\(itemCount: /],
      ['files.0.sha256', (m) => (m.files[0]!.sha256 = 'not-hex'), /\(files\.0\.sha256: /],
      ['files.0.part', (m) => (m.files[0]!.part = 0), /\(files\.0\.part: /],
      ['schema.keySchema', (m) => (m.schema.keySchema = []), /\(schema\.keySchema: /],
      ['storage.sse.type', (m) => (m.storage.sse = { type: 'aws:kms:dsse' as never }), /\(storage\.sse\.type: /],
      ['missing source', (m) => delete (m as Partial<BackupManifest>).source, /\(source: /],
    ];
    for (const [name, change, field] of cases) {
      assert.throws(
        () => parseManifest(withChange(change), 's3://b/m'),
        (err: unknown) => {
          assert.ok(err instanceof ColdkeepError, name);
          assert.equal(err.code, 'ManifestInvalid', name);
          assert.match(err.message, field, `${name}: ${(err as Error).message}`);
          return true;
        },
        name,
      );
    }
    assert.throws(() => parseManifest('[]', 's3://b/m'), { code: 'ManifestInvalid', message: /\(\(root\): / });
  });
});
