/**
 * A small HTTP proxy for tests: it sits between an AWS SDK client and a local emulator (dynalite,
 * s3rver, both plain HTTP on loopback) and injects the faults real AWS produces, on a schedule:
 * DynamoDB throttling, partial BatchWriteItem results, S3 SlowDown/InternalError, connection
 * resets in the middle of a response body, and delays.
 *
 * Requests are forwarded faithfully: same method, path and query, and headers (the original Host
 * header too, because SigV4 signs it); bodies stream both ways. Only `unprocessedItems` buffers a
 * body (the BatchWriteItem request and its answer), since it rewrites them.
 *
 * Bounded: listens on 127.0.0.1 only, forwards only to a loopback http:// target, every rule fires a
 * finite number of times, delays are capped, and the proxy stops itself after `lifetimeMs`.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export type DynamoThrottleErrorType =
  'ProvisionedThroughputExceededException' | 'ThrottlingException' | 'RequestLimitExceeded';

export type FaultAction =
  /** 400 with DynamoDB's JSON error body, e.g. {"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",...}. */
  | { kind: 'dynamoThrottle'; errorType?: DynamoThrottleErrorType }
  /**
   * BatchWriteItem only (other requests never match this rule): forwards part of the items and answers
   * the rest as UnprocessedItems, so those are really not written. `fraction` (0..1, default 0.5) of each
   * table's items is held back, spread evenly (0.5 = the 2nd, 4th, ... item); at least one item always is.
   */
  | { kind: 'unprocessedItems'; fraction?: number }
  /** 503 <Error><Code>SlowDown</Code>... */
  | { kind: 's3SlowDown' }
  /** 500 <Error><Code>InternalError</Code>... */
  | { kind: 's3InternalError' }
  /** `status` (400..599) with <Error><Code>`code`</Code>...: an S3 error such as 403 AccessDenied, which no client retries. */
  | { kind: 's3Error'; status: number; code: string; message?: string }
  /**
   * Forwards, sends the response head and `afterBytes` bytes of the body (default: half of it), then
   * resets the client's connection (TCP RST). An empty response body is reset before the head is sent.
   */
  | { kind: 'resetMidBody'; afterBytes?: number }
  /** Waits `ms` (at most the proxy's maxDelayMs), then forwards normally. */
  | { kind: 'delay'; ms: number }
  /**
   * Forwards at once (the emulator applies the request), then holds the answer back `ms` (at most
   * maxDelayMs): a request that has landed but is not yet acknowledged, as on a slow link.
   */
  | { kind: 'delayAnswer'; ms: number }
  /** 400 with DynamoDB's JSON error body for `errorType` (a non-retryable error such as AccessDeniedException). */
  | { kind: 'dynamoError'; errorType: string; message?: string }
  /**
   * Forwards the answer with one letter of its body changed (the middle one of the body's letters,
   * moved to the next letter) and its headers, x-amz-crc32 included, as they were: damage in
   * transit that leaves valid JSON, which only a checksum of the body catches.
   */
  | { kind: 'corruptBody' }
  /**
   * BatchWriteItem only: forwards the request with its first put item changed (an attribute
   * `alteredInTransit` added), and the emulator's answer as it is: an item written other than
   * it was sent, which no checksum of the backup nor any count catches.
   */
  | { kind: 'changeItem' };

export type FaultKind = FaultAction['kind'];

export interface FaultMatch {
  /** DynamoDB operation: the X-Amz-Target suffix, e.g. 'Scan', 'BatchWriteItem'. */
  operation?: string;
  /** HTTP method, case-insensitive. */
  method?: string;
  /** Substring of the raw (still percent-encoded) path, without the query. */
  pathIncludes?: string;
  /** A query parameter that must be present ('partNumber', 'uploads'), or 'name=value' to match its value too. */
  query?: string;
}

export interface FaultRule {
  match: FaultMatch;
  action: FaultAction;
  /**
   * Which matching requests get the fault: skip the first `after` (default 0), then fault `times` of them
   * (default 1), optionally only every `every`-th (default 1). Each rule counts the requests that match it;
   * when several rules would fire on one request, the first one in the list wins.
   */
  after?: number;
  times?: number;
  every?: number;
}

export interface FaultProxyStats {
  /** Requests the proxy received. */
  received: number;
  /** Requests sent on to the target (delayed, reset and partial BatchWriteItem ones included). */
  forwarded: number;
  /** Faults applied, by kind. */
  injected: Partial<Record<FaultKind, number>>;
  /**
   * Method and URL (path and query) of the first 10,000 requests, to check what a client asked for,
   * with the DynamoDB operation (X-Amz-Target suffix) when there is one.
   */
  requests: { method: string; url: string; operation?: string }[];
}

export interface FaultProxyOptions {
  /** Upper bound for `delay` actions; rules above it are refused. Default 30 s. */
  maxDelayMs?: number;
  /** The proxy stops itself after this long, so a forgotten one cannot outlive its test run. Default 10 min. */
  lifetimeMs?: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port>: give it to the SDK client as its endpoint. */
  url: string;
  /** Live counters (the same object is updated in place). */
  stats: FaultProxyStats;
  /** Replaces the rules and restarts their schedules. */
  setRules(rules: FaultRule[]): void;
  /** Closes the listener and every open connection, and cancels pending delays. Idempotent. */
  stop(): Promise<void>;
}

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

type DynamoItems = Record<string, unknown[]>;

const DEFAULT_MAX_DELAY_MS = 30_000;
const DEFAULT_LIFETIME_MS = 10 * 60_000;
const MAX_BATCH_REQUEST_BYTES = 16 * 1024 * 1024;

/** Headers that describe one connection, not the message: never forwarded as they are. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect']);

const DYNAMO_ERRORS: Record<DynamoThrottleErrorType, { type: string; message: string }> = {
  ProvisionedThroughputExceededException: {
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. ' +
      'Consider increasing your provisioning level with the UpdateTable API.',
  },
  ThrottlingException: {
    type: 'com.amazon.coral.availability#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
  RequestLimitExceeded: {
    type: 'com.amazonaws.dynamodb.v20120810#RequestLimitExceeded',
    message: 'Throughput exceeds the current throughput limit for your account. Please contact AWS Support.',
  },
};

/** Starts a fault-injecting proxy on 127.0.0.1 (a free port) in front of `target` (http://127.0.0.1:port). */
export async function startFaultProxy(
  target: string,
  rules: FaultRule[] = [],
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const upstream = parseLoopbackTarget(target);
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_LIFETIME_MS;
  let states = validateRules(rules, maxDelayMs);
  const stats: FaultProxyStats = { received: 0, forwarded: 0, injected: {}, requests: [] };
  const pendingDelays = new Set<() => void>();
  // Keep-alive to the emulator, with idle sockets dropped before Node servers' 5 s keepAliveTimeout.
  const agent = new Agent({ keepAlive: true, timeout: 4000 });
  let stopped = false;

  const inject = (kind: FaultKind): void => {
    stats.injected[kind] = (stats.injected[kind] ?? 0) + 1;
  };

  /** Decides, in arrival order, which fault (if any) this request gets. */
  const decide = (req: IncomingMessage): FaultAction | undefined => {
    let chosen: FaultAction | undefined;
    for (const state of states) {
      const { rule } = state;
      if (!matches(rule, req)) continue;
      const n = state.seen++;
      const after = rule.after ?? 0;
      if (chosen || n < after || state.fired >= (rule.times ?? 1) || (n - after) % (rule.every ?? 1) !== 0) continue;
      state.fired++;
      chosen = rule.action;
    }
    return chosen;
  };

  /** Sends a request to the target; `body` replaces the client's (streamed) body when given. */
  const sendUpstream = (req: IncomingMessage, res: ServerResponse, body?: Buffer): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers = withoutHopByHop(req.headers);
      if (body) {
        delete headers['transfer-encoding'];
        headers['content-length'] = String(body.length);
      }
      stats.forwarded++;
      const up = httpRequest({
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      });
      let upRes: IncomingMessage | undefined;
      up.once('response', (response) => {
        upRes = response;
        resolve(response);
      });
      up.once('error', reject);
      // The client went away before its answer was complete: drop the upstream exchange too.
      res.once('close', () => {
        if (!upRes?.complete) up.destroy();
      });
      if (body) up.end(body);
      else req.pipe(up);
    });

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    answerUpstream(await sendUpstream(req, res), res);
  };

  const forwardThenReset = async (req: IncomingMessage, res: ServerResponse, afterBytes?: number): Promise<void> => {
    const upRes = await sendUpstream(req, res);
    inject('resetMidBody');
    const reset = (): void => {
      upRes.destroy();
      // A moment for the partial body to be read, then an RST rather than a clean FIN.
      setTimeout(() => {
        if (!req.socket.destroyed) req.socket.resetAndDestroy();
      }, 10);
    };
    const length = Number(upRes.headers['content-length'] ?? NaN);
    const bodyless = req.method === 'HEAD' || upRes.statusCode === 204 || upRes.statusCode === 304 || length === 0;
    if (bodyless) {
      req.socket.resetAndDestroy();
      upRes.destroy();
      return;
    }
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, withoutHopByHop(upRes.headers));
    let limit = afterBytes ?? (Number.isFinite(length) ? Math.floor(length / 2) : undefined);
    // Never the whole body: with a known length, the last byte at least is withheld.
    if (limit !== undefined && Number.isFinite(length)) limit = Math.min(limit, length - 1);
    let sent = 0;
    let done = false;
    const finish = (last?: Buffer): void => {
      if (done) return;
      done = true;
      upRes.pause();
      if (last && last.length > 0) res.write(last, reset);
      else {
        res.flushHeaders();
        reset();
      }
    };
    upRes.on('data', (chunk: Buffer) => {
      if (done) return;
      limit ??= Math.floor(chunk.length / 2); // unknown length: half of the first chunk
      const part = chunk.subarray(0, limit - sent);
      sent += part.length;
      if (sent < limit) res.write(part);
      else finish(part);
    });
    // A chunked body shorter than the cut: all of it went out, but never its end.
    upRes.once('end', () => finish());
  };

  const unprocessedItems = async (req: IncomingMessage, res: ServerResponse, fraction: number): Promise<void> => {
    const raw = await readBody(req, MAX_BATCH_REQUEST_BYTES);
    const parsed = parseJsonObject(raw);
    const requestItems = parsed?.['RequestItems'];
    if (!parsed || !isItemsMap(requestItems)) {
      // Not a BatchWriteItem body we understand: let the emulator answer it as it would.
      answerUpstream(await sendUpstream(req, res, raw), res);
      return;
    }
    const { forwarded, heldBack } = splitItems(requestItems, fraction);
    if (Object.keys(heldBack).length === 0) {
      answerUpstream(await sendUpstream(req, res, raw), res);
      return;
    }
    inject('unprocessedItems');
    if (Object.keys(forwarded).length === 0) {
      // DynamoDB refuses an empty RequestItems: nothing goes to the emulator.
      sendJson(res, 200, { UnprocessedItems: heldBack });
      return;
    }
    const upRes = await sendUpstream(req, res, Buffer.from(JSON.stringify({ ...parsed, RequestItems: forwarded })));
    const upBody = await readBody(upRes, Infinity);
    const answer = upRes.statusCode === 200 && !upRes.headers['content-encoding'] ? parseJsonObject(upBody) : undefined;
    if (!answer) {
      // An error (or an answer we cannot merge into): pass it on untouched.
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, withoutHopByHop(upRes.headers));
      res.end(upBody);
      return;
    }
    const own = isItemsMap(answer['UnprocessedItems']) ? answer['UnprocessedItems'] : {};
    const merged: DynamoItems = { ...own };
    for (const [table, items] of Object.entries(heldBack)) merged[table] = [...(merged[table] ?? []), ...items];
    sendJson(res, 200, { ...answer, UnprocessedItems: merged }, upRes.headers);
  };

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        pendingDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pendingDelays.add(done);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.received++;
    if (stats.requests.length < 10_000) {
      const operation = operationOf(req);
      stats.requests.push({ method: req.method ?? '', url: req.url ?? '', ...(operation ? { operation } : {}) });
    }
    const action = decide(req);
    switch (action?.kind) {
      case undefined:
        return forward(req, res);
      case 'dynamoThrottle': {
        await drain(req);
        inject(action.kind);
        const error = DYNAMO_ERRORS[action.errorType ?? 'ProvisionedThroughputExceededException'];
        return sendJson(res, 400, { __type: error.type, message: error.message });
      }
      case 's3SlowDown':
        await drain(req);
        inject(action.kind);
        return sendS3Error(req, res, 503, 'SlowDown', 'Please reduce your request rate.');
      case 's3InternalError':
        await drain(req);
        inject(action.kind);
        return sendS3Error(req, res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      case 's3Error':
        await drain(req);
        inject(action.kind);
        return sendS3Error(
          req,
          res,
          action.status,
          action.code,
          action.message ?? `${action.code} (injected by the fault proxy)`,
        );
      case 'delay':
        inject(action.kind);
        await delay(action.ms);
        if (stopped || req.socket.destroyed) {
          res.destroy();
          return;
        }
        return forward(req, res);
      case 'delayAnswer': {
        const upRes = await sendUpstream(req, res);
        const body = await readBody(upRes, Infinity);
        inject(action.kind);
        await delay(action.ms);
        if (stopped || req.socket.destroyed) {
          res.destroy();
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, withoutHopByHop(upRes.headers));
        res.end(body);
        return;
      }
      case 'dynamoError':
        await drain(req);
        inject(action.kind);
        return sendJson(res, 400, {
          __type: `com.amazonaws.dynamodb.v20120810#${action.errorType}`,
          message: action.message ?? `${action.errorType} (injected by the fault proxy)`,
        });
      case 'resetMidBody':
        return forwardThenReset(req, res, action.afterBytes);
      case 'unprocessedItems':
        return unprocessedItems(req, res, action.fraction ?? 0.5);
      case 'changeItem': {
        const raw = await readBody(req, MAX_BATCH_REQUEST_BYTES);
        const parsed = parseJsonObject(raw);
        const requestItems = parsed?.['RequestItems'];
        const put = isItemsMap(requestItems)
          ? Object.values(requestItems)
              .flat()
              .map((r) => (r as { PutRequest?: { Item?: Record<string, unknown> } }).PutRequest?.Item)
              .find((item) => item !== undefined)
          : undefined;
        if (!put) return answerUpstream(await sendUpstream(req, res, raw), res);
        put['alteredInTransit'] = { S: 'by the fault proxy' };
        inject(action.kind);
        return answerUpstream(await sendUpstream(req, res, Buffer.from(JSON.stringify(parsed))), res);
      }
      case 'corruptBody': {
        const upRes = await sendUpstream(req, res);
        const body = await readBody(upRes, Infinity);
        const letters = [...body.keys()].filter((i) => body[i]! >= 0x61 && body[i]! < 0x7a);
        const at = letters[Math.floor(letters.length / 2)];
        if (at !== undefined) {
          body[at] = body[at]! + 1;
          inject(action.kind);
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, withoutHopByHop(upRes.headers));
        res.end(body);
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || stopped) {
        res.destroy();
        return;
      }
      const message = `fault proxy: ${err instanceof Error ? err.message : String(err)}`;
      res.writeHead(502, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(message) });
      res.end(message);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      stopped = true;
      clearTimeout(lifetime);
      for (const cancel of [...pendingDelays]) cancel();
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    });
    return stopping;
  };
  const lifetime = setTimeout(() => void stop(), lifetimeMs);
  lifetime.unref();

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setRules(next: FaultRule[]) {
      states = validateRules(next, maxDelayMs);
    },
    stop,
  };
}

function parseLoopbackTarget(target: string): { hostname: string; port: number } {
  const url = new URL(target);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (url.protocol !== 'http:' || !loopback) {
    throw new RangeError(`fault proxy: the target must be http:// on loopback, not ${target}`);
  }
  return { hostname: host, port: Number(url.port || 80) };
}

function validateRules(rules: FaultRule[], maxDelayMs: number): RuleState[] {
  const count = (value: number | undefined, name: string, min: number): void => {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
      throw new RangeError(`fault proxy: ${name} must be a whole number >= ${min}, not ${value}`);
    }
  };
  return rules.map((rule) => {
    count(rule.after, 'after', 0);
    count(rule.times, 'times', 0);
    count(rule.every, 'every', 1);
    const { action } = rule;
    if (
      (action.kind === 'delay' || action.kind === 'delayAnswer') &&
      !(Number.isFinite(action.ms) && action.ms >= 0 && action.ms <= maxDelayMs)
    ) {
      throw new RangeError(`fault proxy: delay.ms must be between 0 and ${maxDelayMs}, not ${action.ms}`);
    }
    if (action.kind === 'unprocessedItems' && action.fraction !== undefined) {
      if (!(action.fraction >= 0 && action.fraction <= 1)) {
        throw new RangeError(`fault proxy: unprocessedItems.fraction must be between 0 and 1, not ${action.fraction}`);
      }
    }
    if (action.kind === 'resetMidBody') count(action.afterBytes, 'resetMidBody.afterBytes', 0);
    if (
      action.kind === 's3Error' &&
      !(Number.isSafeInteger(action.status) && action.status >= 400 && action.status < 600)
    ) {
      throw new RangeError(`fault proxy: s3Error.status must be an error status (400..599), not ${action.status}`);
    }
    return { rule, seen: 0, fired: 0 };
  });
}

function operationOf(req: IncomingMessage): string | undefined {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' ? target.slice(target.lastIndexOf('.') + 1) : undefined;
}

function matches({ match, action }: FaultRule, req: IncomingMessage): boolean {
  const operation = operationOf(req);
  if ((action.kind === 'unprocessedItems' || action.kind === 'changeItem') && operation !== 'BatchWriteItem')
    return false;
  if (match.operation !== undefined && match.operation !== operation) return false;
  if (match.method !== undefined && match.method.toUpperCase() !== req.method?.toUpperCase()) return false;
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  if (match.pathIncludes !== undefined && !path.includes(match.pathIncludes)) return false;
  if (match.query !== undefined) {
    const params = new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1));
    const eq = match.query.indexOf('=');
    if (eq < 0 ? !params.has(match.query) : params.get(match.query.slice(0, eq)) !== match.query.slice(eq + 1)) {
      return false;
    }
  }
  return true;
}

/**
 * Holds back `fraction` of each table's items, spread evenly (item i is held back when
 * floor((i + 1) * fraction) > floor(i * fraction)), and at least one item of the whole request.
 */
function splitItems(requestItems: DynamoItems, fraction: number): { forwarded: DynamoItems; heldBack: DynamoItems } {
  const forwarded: DynamoItems = {};
  const heldBack: DynamoItems = {};
  for (const [table, items] of Object.entries(requestItems)) {
    items.forEach((item, i) => {
      const hold = Math.floor((i + 1) * fraction) > Math.floor(i * fraction);
      ((hold ? heldBack : forwarded)[table] ??= []).push(item);
    });
  }
  if (Object.keys(heldBack).length === 0) {
    const table = Object.keys(forwarded)[0];
    if (table !== undefined) {
      heldBack[table] = [forwarded[table]!.pop()];
      if (forwarded[table]!.length === 0) delete forwarded[table];
    }
  }
  return { forwarded, heldBack };
}

function isItemsMap(value: unknown): value is DynamoItems {
  return typeof value === 'object' && value !== null && Object.values(value).every((items) => Array.isArray(items));
}

function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Streams the target's answer back to the client. */
function answerUpstream(upRes: IncomingMessage, res: ServerResponse): void {
  res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, withoutHopByHop(upRes.headers));
  upRes.once('error', () => res.destroy());
  upRes.pipe(res);
}

function withoutHopByHop(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(incoming.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    // Host stays as the client signed it. Expect is answered by this proxy's own server already.
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) headers[name] = value;
  }
  return headers;
}

function requestId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

function sendJson(res: ServerResponse, status: number, value: unknown, base: IncomingHttpHeaders = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  const headers = withoutHopByHop(base);
  delete headers['transfer-encoding'];
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/x-amz-json-1.0',
    'content-length': String(body.length),
    'x-amzn-requestid': base['x-amzn-requestid'] ?? requestId(),
    'x-amz-crc32': String(crc32(body)),
  });
  res.end(body);
}

function sendS3Error(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  const id = requestId();
  const body = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${message}</Message>` +
      `<RequestId>${id}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`,
  );
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': String(body.length),
    'x-amz-request-id': id,
    'x-amz-id-2': randomBytes(24).toString('base64'),
  });
  // A HEAD answer has no body (Node drops it anyway); the SDK then names the error from the status.
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Reads a whole body, refusing more than `limit` bytes. */
function readBody(stream: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.destroy();
        reject(new Error(`body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.once('close', () => {
      if (!stream.complete) reject(new Error('connection closed before the body was complete'));
    });
  });
}

/** Consumes and discards a request body, so a synthesized answer is not sent while the client still writes. */
function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete) return resolve();
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
    req.resume();
  });
}
