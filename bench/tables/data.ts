/**
 * The benchmark table: deterministic, realistic-looking customer records of about 250 bytes
 * (DynamoDB item size) each — a string key, a few strings, numbers, a boolean, a small list
 * and a small map — and a fast parallel BatchWriteItem loader.
 */
import { Agent, request } from 'node:http';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Item } from '@coldkeep/shared';

/** Bump when the items change, so cached tables are rebuilt. */
export const DATA_VERSION = 1;

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus', 'Frances'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman'];
const CITIES = ['Lisbon', 'Montreal', 'Nairobi', 'Osaka', 'Valparaiso', 'Tallinn', 'Brisbane', 'Reykjavik'];
const COUNTRIES = ['PT', 'CA', 'KE', 'JP', 'CL', 'EE', 'AU', 'IS'];
const STATUS = ['active', 'active', 'active', 'suspended', 'closed'];
const PLANS = ['free', 'starter', 'business', 'enterprise'];
const TAGS = ['newsletter', 'beta', 'vip', 'churn-risk', 'referral', 'annual', 'trial', 'support'];

/** A small, fast, seeded PRNG (mulberry32), so item i is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, list: T[]): T => list[Math.floor(r() * list.length)]!;

export function makeItem(i: number): Item {
  const r = rng(i * 2654435761);
  const first = pick(r, FIRST);
  const last = pick(r, LAST);
  const c = Math.floor(r() * CITIES.length);
  const created = new Date(Date.UTC(2015, 0, 1) + Math.floor(r() * 3.3e11)).toISOString();
  const tags = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({ S: pick(r, TAGS) }));
  return {
    pk: { S: `customer#${i.toString().padStart(9, '0')}` },
    name: { S: `${first} ${last}` },
    email: { S: `${first}.${last}.${i}@example.com`.toLowerCase() },
    status: { S: pick(r, STATUS) },
    plan: { S: pick(r, PLANS) },
    createdAt: { S: created },
    balance: { N: (Math.floor(r() * 1_000_000) / 100).toFixed(2) },
    visits: { N: String(Math.floor(r() * 5000)) },
    verified: { BOOL: r() < 0.8 },
    tags: { L: tags },
    address: {
      M: {
        street: { S: `${1 + Math.floor(r() * 999)} ${pick(r, LAST)} St` },
        city: { S: CITIES[c]! },
        zip: { S: String(10000 + Math.floor(r() * 89999)) },
        country: { S: COUNTRIES[c]! },
      },
    },
    ref: { S: Math.floor(r() * 2 ** 52).toString(36) },
  };
}

/** DynamoDB's item size: attribute names plus values (numbers approximated by their digits). */
export function itemSize(item: Item): number {
  const valueSize = (v: Item[string]): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\./g, '').length / 2) + 1;
    if (v.BOOL !== undefined) return 1;
    if (v.L !== undefined) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
    if (v.M !== undefined)
      return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k) + valueSize(e), 0);
    return 0;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueSize(v), 0);
}

/** Bytes of the table as DynamoDB JSON lines ({"Item":{...}} per line, as in a native export). */
export function jsonLineBytes(item: Item): number {
  return Buffer.byteLength(`{"Item":${JSON.stringify(item)}}\n`);
}

export async function createBenchTable(dynamodb: DynamoDBClient, table: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

export interface LoadStats {
  items: number;
  avgItemBytes: number;
  jsonBytes: number;
  loadMs: number;
}

/**
 * Writes items 0..n-1, 25 per BatchWriteItem, `inFlight` requests at once. Loading is not
 * what is measured, so it skips the SDK: DynamoDB JSON is the wire format, and dynalite
 * checks that a request is signed, not the signature. That leaves the emulator all the CPU.
 */
export async function loadItems(
  endpoint: string,
  table: string,
  n: number,
  { inFlight = 8, onProgress }: { inFlight?: number; onProgress?: (done: number) => void } = {},
): Promise<LoadStats> {
  const url = new URL(endpoint);
  if (url.hostname !== '127.0.0.1') throw new Error(`The loader only talks to 127.0.0.1, not ${url.hostname}`);
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const started = Date.now();
  let next = 0;
  let done = 0;
  let sizeSum = 0;
  let jsonBytes = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const from = next;
      const to = Math.min(n, from + 25);
      next = to;
      const requests: string[] = [];
      for (let i = from; i < to; i++) {
        const item = makeItem(i);
        const json = JSON.stringify(item);
        sizeSum += itemSize(item);
        jsonBytes += Buffer.byteLength(json) + '{"Item":}\n'.length;
        requests.push(`{"PutRequest":{"Item":${json}}}`);
      }
      const body = `{"RequestItems":{${JSON.stringify(table)}:[${requests.join(',')}]}}`;
      const answer = JSON.parse(await post(url, agent, 'BatchWriteItem', body)) as {
        UnprocessedItems?: Record<string, unknown[]>;
        __type?: string;
        message?: string;
      };
      if (answer.__type) throw new Error(`BatchWriteItem failed: ${answer.__type}: ${answer.message}`);
      // dynalite never returns UnprocessedItems; a real endpoint is not what this loader is for.
      if (Object.keys(answer.UnprocessedItems ?? {}).length) throw new Error('unexpected UnprocessedItems');
      done += to - from;
      onProgress?.(done);
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    agent.destroy();
  }
  return { items: n, avgItemBytes: sizeSum / n, jsonBytes, loadMs: Date.now() - started };
}

/** One DynamoDB request, unsigned, over HTTP; resolves to the response body. */
export function post(url: URL, agent: Agent, action: string, body: string): Promise<string> {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        agent,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${action}`,
          'x-amz-date': amzDate,
          authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/${amzDate.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
