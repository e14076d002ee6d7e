// Key wraps: a passphrase wrap opens only with its passphrase; a KMS wrap makes and opens its
// data key with GenerateDataKey and Decrypt (request shapes on a mock: no KMS emulator here).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ColdkeepError,
  keyIdOf,
  newRepositoryKey,
  openWithKms,
  openWithPassphrase,
  sourceLocation,
  wrapWithKms,
  wrapWithPassphrase,
} from '@coldkeep/shared';

const cheap = { N: 1024, r: 8, p: 1 };
const loc = sourceLocation('b', 'p', 'docs');

describe('key wraps', () => {
  test('a passphrase wrap opens with its passphrase, not another, and holds no key in the clear', async () => {
    const key = newRepositoryKey();
    const wrap = await wrapWithPassphrase(key, 'correct horse', cheap);
    assert.equal(wrap.wrap.type, 'passphrase');
    assert.equal(wrap.keyId, keyIdOf(key));
    assert.ok(!JSON.stringify(wrap).includes(key.toString('base64')));
    assert.ok(!JSON.stringify(wrap).includes(key.toString('hex')));
    assert.deepEqual(await openWithPassphrase(wrap, 'correct horse'), key);
    assert.equal(await openWithPassphrase(wrap, 'correct horse '), undefined);
    assert.equal(await openWithPassphrase({ ...wrap, keyId: '0'.repeat(16) }, 'correct horse'), undefined);
  });

  test('new passphrase wraps cost scrypt N=2^17, r=8, p=1 by default', async () => {
    const wrap = await wrapWithPassphrase(newRepositoryKey(), 'x');
    assert.deepEqual(
      wrap.wrap.type === 'passphrase' ? { N: wrap.wrap.kdf.N, r: wrap.wrap.kdf.r, p: wrap.wrap.kdf.p } : undefined,
      { N: 131072, r: 8, p: 1 },
    );
  });

  test('a KMS wrap: GenerateDataKey AES_256 with the source as context; Decrypt with the same key and context', async () => {
    const kms = mockClient(KMSClient);
    const dataKey = Buffer.alloc(32, 7);
    kms.on(GenerateDataKeyCommand).resolves({
      KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1',
      Plaintext: dataKey,
      CiphertextBlob: Buffer.from('blob-from-kms'),
    });
    kms.on(DecryptCommand).resolves({ Plaintext: dataKey });
    const client = new KMSClient({ region: 'eu-west-1' });
    const key = newRepositoryKey();
    const wrap = await wrapWithKms(client, loc, key, 'alias/coldkeep');
    const generate = kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input;
    assert.deepEqual(generate, {
      KeyId: 'alias/coldkeep',
      KeySpec: 'AES_256',
      EncryptionContext: { 'coldkeep:source': 'docs', 'coldkeep:wrap': wrap.id },
    });
    assert.equal(wrap.wrap.type === 'kms' && wrap.wrap.kmsKeyId, 'arn:aws:kms:eu-west-1:111122223333:key/k1');
    assert.deepEqual(await openWithKms(client, loc, wrap), key);
    const decrypt = kms.commandCalls(DecryptCommand)[0]!.args[0].input;
    assert.deepEqual(
      { ...decrypt, CiphertextBlob: Buffer.from(decrypt.CiphertextBlob!).toString() },
      {
        CiphertextBlob: 'blob-from-kms',
        KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1',
        EncryptionContext: { 'coldkeep:source': 'docs', 'coldkeep:wrap': wrap.id },
      },
    );
    kms.restore();
  });

  test("a KMS key that is not the wrap's is WrongKey", async () => {
    const kms = mockClient(KMSClient);
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: Buffer.alloc(32, 1), CiphertextBlob: Buffer.from('c') });
    kms.on(DecryptCommand).rejects(Object.assign(new Error('wrong key'), { name: 'IncorrectKeyException' }));
    const client = new KMSClient({ region: 'eu-west-1' });
    const wrap = await wrapWithKms(client, loc, newRepositoryKey(), 'k1');
    await assert.rejects(openWithKms(client, loc, wrap), (err: unknown) => (err as ColdkeepError).code === 'WrongKey');
    kms.reset();
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.alloc(32, 2) });
    await assert.rejects(openWithKms(client, loc, wrap), (err: unknown) => (err as ColdkeepError).code === 'WrongKey');
    kms.restore();
  });
});
