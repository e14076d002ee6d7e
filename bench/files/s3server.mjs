// @ts-check
/**
 * One s3rver over HTTPS on loopback for the folder benchmark, in a process of its own so its CPU
 * is measured apart. HTTPS because restic's uploads over plain HTTP use aws-chunked framing,
 * which s3rver stores verbatim (../shared/testing.md); every tool talks to this same server.
 *
 *   node --openssl-legacy-provider bench/files/s3server.mjs '{"dir":"...","key":"...pem","cert":"...pem","buckets":["a"]}'
 *
 * Prints {"port": N} once listening; stops on SIGTERM or when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const options = JSON.parse(process.argv[2] ?? '{}');
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: options.dir,
  key: readFileSync(options.key),
  cert: readFileSync(options.cert),
  configureBuckets: (options.buckets ?? []).map((/** @type {string} */ name) => ({ name })),
});
const address = await server.run();
process.stdout.write(JSON.stringify({ port: address.port }) + '\n');
const stop = async () => {
  await server.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
