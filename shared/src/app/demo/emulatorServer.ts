/**
 * Runs dynalite (DynamoDB), s3rver (S3) and aws-ses-v2-local (SES) on loopback in a process
 * of their own, so the emulators' CPU is measured apart from Coldkeep's and s3rver gets the
 * OpenSSL flag it needs. Prints one JSON line {"dynamodb": url, "s3": url, "ses": url} when
 * all listen; stops on SIGTERM or when its parent's stdin closes.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

interface EmulatorServerOptions {
  dataDir: string;
  dynamodbPort: number;
  s3Port: number;
  sesPort?: number;
  /** Keep DynamoDB data on disk under dataDir (else in memory). */
  dynamodbOnDisk: boolean;
}

interface DynaliteServer {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo;
  close(cb?: () => void): void;
}
interface SesServerModule {
  default: (config: { host: string; port: number }) => Promise<import('node:http').Server>;
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

const requireHere = createRequire(__filename);

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorServerOptions;
  const dynalite = requireHere('dynalite') as (opts: Record<string, unknown>) => DynaliteServer;
  const S3rver = requireHere('s3rver') as new (opts: Record<string, unknown>) => S3rverInstance;

  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dynamodbOnDisk ? { path: `${options.dataDir}/dynamodb` } : {}),
  });
  await new Promise<void>((resolve) => dynamo.listen(options.dynamodbPort, '127.0.0.1', resolve));
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: options.s3Port,
    silent: true,
    directory: `${options.dataDir}/s3`,
  });
  const s3Address = await s3.run();
  // Sent mail is kept in memory: GET /store reads it, POST /clear-store empties it.
  const ses = await (requireHere('aws-ses-v2-local') as SesServerModule).default({
    host: '127.0.0.1',
    port: options.sesPort ?? 0,
  });

  const stop = async (): Promise<void> => {
    await s3.close().catch(() => undefined);
    ses.closeAllConnections();
    await new Promise<void>((resolve) => ses.close(() => resolve()));
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();

  process.stdout.write(
    JSON.stringify({
      dynamodb: `http://127.0.0.1:${dynamo.address().port}`,
      s3: `http://127.0.0.1:${s3Address.port}`,
      ses: `http://127.0.0.1:${(ses.address() as AddressInfo).port}`,
    }) + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`emulators failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
