// What S3 actually receives: the S3 client Coldkeep builds (AwsClients.s3, with its checksum
// settings and full middleware stack) sends through a request handler that records each
// HttpRequest and answers 200. aws-sdk-client-mock cannot show this: it replaces `send`, so
// the serializers and the checksum middleware never run. (Separate file from
// requestShape.test.ts because mockClient(S3Client) stubs every S3Client while active.)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClients, backupTable, objectParams, type StorageOptions } from '@coldkeep/shared';

interface CapturedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: Buffer;
}

interface WireRequest {
  method: string;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
  body?: unknown;
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  throw new Error(`unexpected request body type ${Object.prototype.toString.call(body)}`);
}

/** A request handler that records what would go on the wire and answers 200 with an empty body. */
class CapturingHandler {
  readonly requests: CapturedRequest[] = [];
  readonly metadata = { handlerProtocol: 'http/1.1' };

  async handle(
    request: WireRequest,
  ): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Readable } }> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    this.requests.push({
      method: request.method,
      path: request.path,
      query: request.query ?? {},
      headers,
      body: await bodyBytes(request.body),
    });
    return {
      response: {
        statusCode: 200,
        headers: { etag: '"0123456789abcdef"', 'x-amz-request-id': 'test' },
        body: Readable.from([]),
      },
    };
  }

  destroy(): void {}
  updateHttpClientConfig(): void {}
  httpHandlerConfigs(): Record<string, never> {
    return {};
  }
}

const SETTINGS = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/abc';
const RETAIN_UNTIL = new Date('2030-01-31T00:00:00.000Z');

/** Coldkeep's own S3 client, sending through `handler` instead of the network. */
function coldkeepS3(clients: AwsClients, handler: CapturingHandler): S3Client {
  const s3 = clients.s3;
  (s3.config as unknown as { requestHandler: unknown }).requestHandler = handler;
  return s3;
}

const sha256Base64 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('base64');

function hasIntegrityChecksum(headers: Record<string, string>): boolean {
  return 'content-md5' in headers || Object.keys(headers).some((h) => h.startsWith('x-amz-checksum-'));
}

let clients: AwsClients;
let handler: CapturingHandler;

beforeEach(() => {
  clients = new AwsClients(SETTINGS);
  handler = new CapturingHandler();
});

afterEach(() => {
  clients.destroy();
});

describe('PutObject with objectParams on the wire', () => {
  async function put(storage: StorageOptions, body = 'hello coldkeep'): Promise<CapturedRequest> {
    const s3 = coldkeepS3(clients, handler);
    await s3.send(
      new PutObjectCommand({ Bucket: 'bucket-b', Key: 'k/manifest.json', Body: body, ...objectParams(storage) }),
    );
    assert.equal(handler.requests.length, 1);
    return handler.requests[0]!;
  }

  test('Object Lock PUT carries mode, retain-until date and an x-amz-checksum-sha256 of the body', async () => {
    const body = '{"backup":"yes"}';
    const request = await put({ objectLock: { mode: 'COMPLIANCE', retainUntil: RETAIN_UNTIL } }, body);
    assert.equal(request.method, 'PUT');
    assert.equal(request.headers['x-amz-object-lock-mode'], 'COMPLIANCE');
    assert.equal(request.headers['x-amz-object-lock-retain-until-date'], '2030-01-31T00:00:00Z');
    assert.equal(request.headers['x-amz-checksum-sha256'], sha256Base64(Buffer.from(body)));
    assert.equal(request.headers['x-amz-sdk-checksum-algorithm'], 'SHA256');
    // Sent as a plain body (not aws-chunked with a trailer), so stores that keep bytes verbatim get the JSON.
    assert.equal(request.body.toString('utf8'), body);
    assert.equal(request.headers['content-encoding'], undefined);
  });

  test('SSE-KMS PUT carries the encryption, key id and bucket-key headers', async () => {
    const request = await put({ sse: { type: 'aws:kms', kmsKeyId: KMS_KEY } });
    assert.equal(request.headers['x-amz-server-side-encryption'], 'aws:kms');
    assert.equal(request.headers['x-amz-server-side-encryption-aws-kms-key-id'], KMS_KEY);
    assert.equal(request.headers['x-amz-server-side-encryption-bucket-key-enabled'], 'true');
  });

  test('SSE-S3 PUT carries AES256 and no KMS headers', async () => {
    const request = await put({ sse: { type: 'AES256' } });
    assert.equal(request.headers['x-amz-server-side-encryption'], 'AES256');
    assert.equal(request.headers['x-amz-server-side-encryption-aws-kms-key-id'], undefined);
    assert.equal(request.headers['x-amz-server-side-encryption-bucket-key-enabled'], undefined);
  });

  test('a plain PUT carries no checksum header (requestChecksumCalculation WHEN_REQUIRED) and no lock headers', async () => {
    const request = await put({});
    assert.equal(hasIntegrityChecksum(request.headers), false, Object.keys(request.headers).join(', '));
    assert.equal(request.headers['x-amz-object-lock-mode'], undefined);
    assert.equal(request.headers['x-amz-server-side-encryption'], undefined);
  });
});

describe('backupTable on the wire', () => {
  const ddbMock = mockClient(DynamoDBClient);

  beforeEach(() => {
    ddbMock.reset();
    ddbMock.on(DescribeTableCommand).resolves({
      Table: {
        TableName: 'T',
        TableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/T',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        ItemCount: 2,
        TableSizeBytes: 100,
      },
    });
    ddbMock.on(DescribeTimeToLiveCommand).resolves({});
    ddbMock.on(ScanCommand).resolves({ Items: [{ pk: { S: 'a' } }, { pk: { S: 'b' } }], Count: 2 });
  });

  afterEach(() => {
    ddbMock.restore();
  });

  test('with Object Lock and SSE-KMS every object PUT has lock, encryption and a valid SHA-256 checksum; tagging has a checksum', async () => {
    coldkeepS3(clients, handler);
    await backupTable(clients, {
      table: 'T',
      bucket: 'backups',
      segments: 1,
      sse: { type: 'aws:kms', kmsKeyId: KMS_KEY },
      objectLock: { mode: 'GOVERNANCE', retainUntil: RETAIN_UNTIL },
      now: () => new Date('2026-11-22T13:45:01Z'),
    });
    const summary = handler.requests.map((r) => `${r.method} ${r.path}${'tagging' in r.query ? '?tagging' : ''}`);
    const objectPuts = handler.requests.filter((r) => r.method === 'PUT' && !('tagging' in r.query) && r.path !== '/');
    assert.equal(objectPuts.length, 2, summary.join('\n'));
    const [data, manifest] = objectPuts as [CapturedRequest, CapturedRequest];
    assert.match(data.path, /\/data\/0000-0001\.json\.gz$/);
    assert.match(manifest.path, /\/manifest\.json$/);
    for (const request of [data, manifest]) {
      assert.equal(request.headers['x-amz-object-lock-mode'], 'GOVERNANCE', request.path);
      assert.equal(request.headers['x-amz-object-lock-retain-until-date'], '2030-01-31T00:00:00Z', request.path);
      assert.equal(request.headers['x-amz-checksum-sha256'], sha256Base64(request.body), request.path);
      assert.equal(request.headers['x-amz-server-side-encryption'], 'aws:kms', request.path);
      assert.equal(request.headers['x-amz-server-side-encryption-aws-kms-key-id'], KMS_KEY, request.path);
      assert.equal(request.headers['x-amz-server-side-encryption-bucket-key-enabled'], 'true', request.path);
    }
    assert.equal(data.headers['content-type'], 'application/gzip');
    assert.equal(manifest.headers['content-type'], 'application/json');

    const tagging = handler.requests.filter((r) => r.method === 'PUT' && 'tagging' in r.query);
    assert.equal(tagging.length, 1, summary.join('\n'));
    assert.equal(tagging[0]!.path, data.path);
    // S3 refuses PutObjectTagging without an integrity checksum.
    assert.ok(hasIntegrityChecksum(tagging[0]!.headers), Object.keys(tagging[0]!.headers).join(', '));
    const xml = tagging[0]!.body.toString('utf8');
    assert.match(xml, /<Key>coldkeep-lifecycle<\/Key>\s*<Value>archive<\/Value>/);
    // HeadBucket first, before anything is written.
    assert.equal(handler.requests[0]!.method, 'HEAD');
  });
});
