// Bucket keys shared by both engines: the prefix rule and s3:// URIs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizePrefix, parseS3Uri } from '@coldkeep/shared';

describe('bucket keys', () => {
  test('normalizePrefix: default "coldkeep", slashes trimmed, empty kept empty', () => {
    assert.equal(normalizePrefix(undefined), 'coldkeep');
    assert.equal(normalizePrefix('/a/b/'), 'a/b');
    assert.equal(normalizePrefix('//x//'), 'x');
    assert.equal(normalizePrefix(''), '');
    assert.equal(normalizePrefix('/'), '');
  });

  test('parseS3Uri', () => {
    assert.deepEqual(parseS3Uri('s3://bkt/a/b/'), { bucket: 'bkt', key: 'a/b/' });
    assert.deepEqual(parseS3Uri('s3://bkt/a/manifest.json'), { bucket: 'bkt', key: 'a/manifest.json' });
    assert.deepEqual(parseS3Uri('s3://bkt'), { bucket: 'bkt', key: '' });
    assert.deepEqual(parseS3Uri('s3://bkt/'), { bucket: 'bkt', key: '' });
    assert.equal(parseS3Uri('https://bkt.s3.amazonaws.com/a'), undefined);
    assert.equal(parseS3Uri('s3:///a'), undefined);
    assert.equal(parseS3Uri('bkt/a'), undefined);
  });
});
