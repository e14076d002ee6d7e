/**
 * A loopback proxy in front of s3rver and dynalite that plays the AWS features the emulators
 * lack, so that the code paths calling them run for real over HTTP (policy drift proof):
 *  - S3: data objects look archived (GLACIER) on HeadObject until a RestoreObject (answered 202)
 *    was made for them, and in ListObjectsV2 answers (their storage class, as S3 lists an
 *    archived object even once it is restored); chosen uploads can be made to fail (500 InternalError);
 *    ListMultipartUploads and AbortMultipartUpload (s3rver: NotImplemented, MethodNotAllowed) are played
 *    for the uploads the test says are open.
 *  - DynamoDB: DescribeTimeToLive reports TTL on for chosen tables; UpdateTimeToLive is answered.
 * Everything else is forwarded as it is (the Host header too, since SigV4 signs it).
 * Bounded: listens on 127.0.0.1, forwards only to the given loopback targets, stops after `lifetimeMs`.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

export interface FeatureProxy {
  url: string;
  /** Keys containing this text (or matching this pattern) look archived until restored (e.g. "/data/"). Undefined: off. */
  archiveKeysContaining?: string | RegExp;
  /** Keys RestoreObject was called for. */
  readonly restored: Set<string>;
  /** Tables whose TTL is reported on (attribute "expiresAt"). */
  readonly ttlTables: Set<string>;
  /** Uploads (PUT) whose path and query match this fail with 500 InternalError. */
  failUploads?: (pathAndQuery: string) => boolean;
  /** The open multipart uploads ListMultipartUploads reports (made for real on s3rver, which cannot list them). */
  openUploads?: { key: string; uploadId: string; initiated: Date }[];
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFeatureProxy(target: string, lifetimeMs = 5 * 60_000): Promise<FeatureProxy> {
  const to = new URL(target);
  if (to.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(to.hostname)) {
    throw new Error(`the feature proxy forwards only to loopback http, not ${target}`);
  }
  const restored = new Set<string>();
  const ttlTables = new Set<string>();

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    patch?: (h: Record<string, string>, key: string) => void,
    rewrite?: (answer: string) => string,
  ) => {
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers } as Record<string, string>;
        patch?.(headers, decodeURIComponent((req.url ?? '').split('?')[0]!));
        if (!rewrite) {
          res.writeHead(answer.statusCode ?? 502, headers);
          answer.pipe(res);
          return;
        }
        void readBody(answer).then((raw) => {
          const text = rewrite(raw.toString('utf8'));
          delete headers['transfer-encoding'];
          headers['content-length'] = String(Buffer.byteLength(text));
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(text);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };

  const json = (res: ServerResponse, payload: unknown): void => {
    const text = JSON.stringify(payload);
    res.writeHead(200, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-crc32': String(crc32(text)),
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const proxy: FeatureProxy = {
    url: '',
    restored,
    ttlTables,
    stop: async () => undefined,
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = req.url ?? '/';
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target.endsWith('.DescribeTimeToLive') || target.endsWith('.UpdateTimeToLive')) {
        const input = JSON.parse(body.toString() || '{}') as { TableName?: string; TimeToLiveSpecification?: unknown };
        if (target.endsWith('.UpdateTimeToLive'))
          return json(res, { TimeToLiveSpecification: input.TimeToLiveSpecification });
        if (input.TableName && ttlTables.has(input.TableName)) {
          return json(res, { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' } });
        }
        return forward(req, res, body);
      }
      const path = decodeURIComponent(url.split('?')[0]!);
      if (req.method === 'POST' && /[?&]restore(=|&|$)/.test(url)) {
        restored.add(path);
        res.writeHead(202, { 'content-length': 0 });
        return res.end();
      }
      if (req.method === 'GET' && proxy.openUploads && /[?&]uploads(=|&|$)/.test(url)) {
        const xml =
          '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><IsTruncated>false</IsTruncated>' +
          proxy.openUploads
            .map(
              (u) =>
                `<Upload><Key>${u.key}</Key><UploadId>${u.uploadId}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`,
            )
            .join('') +
          '</ListMultipartUploadsResult>';
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
        return res.end(xml);
      }
      const aborted = /[?&]uploadId=([^&]+)/.exec(url)?.[1];
      if (
        req.method === 'DELETE' &&
        aborted &&
        proxy.openUploads?.some((u) => u.uploadId === decodeURIComponent(aborted))
      ) {
        proxy.openUploads = proxy.openUploads.filter((u) => u.uploadId !== decodeURIComponent(aborted));
        res.writeHead(204, { 'content-length': 0 });
        return res.end();
      }
      if (req.method === 'PUT' && proxy.failUploads?.(url)) {
        const xml =
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>';
        res.writeHead(500, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
        return res.end(xml);
      }
      const looksArchived = (key: string): boolean => {
        const archived = proxy.archiveKeysContaining;
        return archived instanceof RegExp ? archived.test(key) : archived !== undefined && key.includes(archived);
      };
      if (req.method === 'HEAD' && looksArchived(path)) {
        return forward(req, res, body, (headers, key) => {
          headers['x-amz-storage-class'] = 'GLACIER';
          if (restored.has(key))
            headers['x-amz-restore'] = 'ongoing-request="false", expiry-date="Fri, 21 Dec 2040 00:00:00 GMT"';
        });
      }
      if (req.method === 'GET' && proxy.archiveKeysContaining && /[?&]list-type=2(&|$)/.test(url)) {
        return forward(req, res, body, undefined, (xml) =>
          xml.replace(/<Contents>[\s\S]*?<\/Contents>/g, (entry) =>
            looksArchived(/<Key>([^<]*)<\/Key>/.exec(entry)?.[1] ?? '')
              ? entry.replace(/<StorageClass>[^<]*<\/StorageClass>/, '<StorageClass>GLACIER</StorageClass>')
              : entry,
          ),
        );
      }
      return forward(req, res, body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const timer = setTimeout(() => server.close(), lifetimeMs);
  timer.unref();
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.stop = () =>
    new Promise<void>((resolve) => {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
