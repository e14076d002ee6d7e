import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeKms {
  endpoint: string;
  /** The operations called, in order (X-Amz-Target without the service). */
  calls: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for KMS over HTTP (JSON 1.1 protocol), for the calls of folder key wraps: no
 * emulator serves KMS. GenerateDataKey answers a random data key and a "ciphertext" that holds
 * it with the key id and encryption context; Decrypt gives the key back only for the same key id
 * and context, and refuses another key with IncorrectKeyException, as KMS does.
 */
export async function startFakeKms(): Promise<FakeKms> {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').replace(/^TrentService\./, '');
      calls.push(target);
      const input = JSON.parse(body || '{}') as {
        KeyId?: string;
        CiphertextBlob?: string;
        EncryptionContext?: Record<string, string>;
      };
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(json));
      };
      if (target === 'GenerateDataKey') {
        const plaintext = randomBytes(32).toString('base64');
        const blob = Buffer.from(
          JSON.stringify({ key: input.KeyId, context: input.EncryptionContext ?? {}, plaintext }),
        ).toString('base64');
        return answer(200, { KeyId: input.KeyId, Plaintext: plaintext, CiphertextBlob: blob });
      }
      if (target === 'Decrypt') {
        const sealed = JSON.parse(Buffer.from(input.CiphertextBlob ?? '', 'base64').toString()) as {
          key: string;
          context: Record<string, string>;
          plaintext: string;
        };
        if (input.KeyId && input.KeyId !== sealed.key)
          return answer(400, { __type: 'IncorrectKeyException', message: 'wrong key' });
        if (JSON.stringify(sealed.context) !== JSON.stringify(input.EncryptionContext ?? {}))
          return answer(400, { __type: 'InvalidCiphertextException', message: 'context' });
        return answer(200, { KeyId: sealed.key, Plaintext: sealed.plaintext });
      }
      answer(400, { __type: 'UnsupportedOperationException', message: target });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
