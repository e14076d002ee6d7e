// @ts-check
/**
 * The "ceiling" server: DynamoDB and S3 on one loopback port, answering at once, so that a
 * backup against it measures Coldkeep alone. Run in a process of its own (its CPU is
 * measured apart), by run.ts:
 *
 *   node bench/tables/ceiling.mjs RECORDING.json ITEMS
 *
 * DynamoDB: DescribeTable answers what dynalite answered; Scan replays pages recorded from
 * dynalite (the first few pages of each segment, in turn), with the same items per page as
 * Coldkeep asked dynalite for, until the segment has served its share of ITEMS. Its
 * LastEvaluatedKey is rewritten to say which page comes next. Each answer is a prepared
 * string: no parsing of items, no disk.
 * S3: HeadBucket, PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload and PutObjectTagging are accepted; bodies are read and dropped.
 *
 * Prints one JSON line {"endpoint": url} once it listens; stops when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [recordingFile, itemsArg] = process.argv.slice(2);
/** @type {{ describeTable: string; limit: number; totalSegments: number; hashKey: string; pages: string[][] }} */
const recording = JSON.parse(readFileSync(String(recordingFile), 'utf8'));
const totalItems = Number(itemsArg);
const { totalSegments, hashKey, limit } = recording;

/**
 * A segment's pages: the recorded pages' items, cycled, `limit` per page, until its share of
 * the items is served. Bodies are built on demand from prepared item lists, cheaply.
 */
const segments = recording.pages.map((pages, segment) => {
  const share = Math.floor(totalItems / totalSegments) + (segment < totalItems % totalSegments ? 1 : 0);
  /** @type {string[][]} items of each recorded page as JSON strings, `limit` per page */
  const recorded = pages.map((body) => {
    const page = JSON.parse(body);
    return page.Items.map((/** @type {unknown} */ item) => JSON.stringify(item));
  });
  for (const items of recorded) {
    if (items.length !== limit)
      throw new Error(`A recorded page of segment ${segment} holds ${items.length} items, not ${limit}`);
  }
  const units = pages.map((body) => JSON.parse(body).ConsumedCapacity?.CapacityUnits ?? 0);
  // Full pages as prepared text: `{"Items":[…],"Count":N,"ScannedCount":N,"ConsumedCapacity":…`
  const full = recorded.map(
    (items, i) =>
      `{"Items":[${items.join(',')}],"Count":${items.length},"ScannedCount":${items.length},` +
      `"ConsumedCapacity":{"TableName":"t","CapacityUnits":${units[i]}}`,
  );
  const pageCount = Math.ceil(share / limit);
  const lastItems = share - (pageCount - 1) * limit;
  return { share, pageCount, recorded, full, units, lastItems };
});

/** @param {number} segment @param {number} index */
function scanPage(segment, index) {
  const s = segments[segment];
  if (!s) throw new Error(`No segment ${segment}`);
  if (s.pageCount === 0) return '{"Items":[],"Count":0,"ScannedCount":0}';
  const k = index % s.recorded.length;
  const last = index >= s.pageCount - 1;
  let body;
  if (last && s.lastItems !== limit) {
    const items = s.recorded[k].slice(0, s.lastItems);
    body =
      `{"Items":[${items.join(',')}],"Count":${items.length},"ScannedCount":${items.length},` +
      `"ConsumedCapacity":{"TableName":"t","CapacityUnits":${s.units[k]}}`;
  } else {
    body = s.full[k];
  }
  if (last) return `${body}}`;
  const next = JSON.stringify({ [hashKey]: { S: `ceiling#${segment}#${index + 1}` } });
  return `${body},"LastEvaluatedKey":${next}}`;
}

/** @param {import('node:http').IncomingMessage} req @returns {Promise<string>} */
function readBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** @param {import('node:http').IncomingMessage} req */
function drain(req) {
  return new Promise((resolve, reject) => {
    req.on('data', () => undefined);
    req.on('end', resolve);
    req.on('error', reject);
  });
}

let uploads = 0;
const server = createServer(async (req, res) => {
  try {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      const input = JSON.parse(await readBody(req));
      const action = target.split('.')[1];
      let body;
      if (action === 'DescribeTable') body = recording.describeTable;
      else if (action === 'Scan') {
        if (input.TotalSegments !== totalSegments || input.Limit !== limit) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazon.coldkeep.bench#ValidationException',
              message: `recorded for TotalSegments ${totalSegments} and Limit ${limit}, asked ${input.TotalSegments} and ${input.Limit}`,
            }),
          );
          return;
        }
        const start = input.ExclusiveStartKey?.[hashKey]?.S;
        const index = start ? Number(String(start).split('#')[2]) : 0;
        body = scanPage(input.Segment, index);
      } else {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazon.coldkeep.bench#UnknownOperationException', message: action }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'ceiling' });
      res.end(body);
      return;
    }
    // S3, path-style: /bucket[/key][?query]
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    await drain(req);
    const q = url.searchParams;
    const xml = (/** @type {string} */ text) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${text}`);
    };
    if (req.method === 'HEAD') res.writeHead(200).end();
    else if (req.method === 'POST' && q.has('uploads')) {
      uploads += 1;
      xml(
        `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key>` +
          `<UploadId>ceiling-${uploads}</UploadId></InitiateMultipartUploadResult>`,
      );
    } else if (req.method === 'POST' && q.has('uploadId')) {
      xml(
        `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key>` +
          `<ETag>"ceiling-complete"</ETag></CompleteMultipartUploadResult>`,
      );
    } else if (req.method === 'PUT') {
      res.writeHead(200, { etag: `"ceiling-${q.get('partNumber') ?? 'object'}"` }).end();
    } else if (req.method === 'DELETE') res.writeHead(204).end();
    else res.writeHead(405).end();
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${address.port}` }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
