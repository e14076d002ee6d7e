import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { AwsSettings } from '../../base/aws/settings';

export interface EmulatorOptions {
  /** Where S3 objects (and DynamoDB data when on disk) live; a new temp folder by default. */
  dataDir?: string;
  /** 0 picks a free port. */
  dynamodbPort?: number;
  s3Port?: number;
  sesPort?: number;
  dynamodbOnDisk?: boolean;
}

export interface RunningEmulators {
  dataDir: string;
  /** ses: aws-ses-v2-local; GET <ses>/store shows the mail sent. */
  endpoints: { dynamodb: string; s3: string; ses: string };
  /** The emulators' process, e.g. to read its CPU time in benchmarks. */
  pid: number;
  /** AWS settings that point every client at the emulators. */
  settings: AwsSettings;
  stop(): Promise<void>;
}

/** s3rver's fixed credentials; dynalite accepts any. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Starts dynalite and s3rver on loopback in a child process. */
export async function startEmulators(options: EmulatorOptions = {}): Promise<RunningEmulators> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'coldkeep-emulators-')));
  const args = JSON.stringify({
    dataDir,
    dynamodbPort: options.dynamodbPort ?? 0,
    s3Port: options.s3Port ?? 0,
    sesPort: options.sesPort ?? 0,
    dynamodbOnDisk: options.dynamodbOnDisk ?? false,
  });
  // s3rver's paginated listing needs the legacy OpenSSL provider on Node 20.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', join(__dirname, 'emulatorServer.js'), args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // Inside Electron, execPath is the app itself: this makes it run the script as plain Node.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  const endpoints = await readEndpoints(child);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return {
    dataDir,
    endpoints,
    pid: child.pid ?? -1,
    settings: {
      region: 'us-east-1',
      endpoints: { dynamodb: endpoints.dynamodb, s3: endpoints.s3, ses: endpoints.ses },
      credentials: EMULATOR_CREDENTIALS,
    },
    stop,
  };
}

function readEndpoints(child: ChildProcess): Promise<{ dynamodb: string; s3: string; ses: string }> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      try {
        resolve(JSON.parse(line) as { dynamodb: string; s3: string; ses: string });
      } catch (err) {
        reject(err);
      }
    });
    child.once('exit', (code) =>
      reject(
        new ColdkeepError('EmulatorFailed', `The local emulators exited (code ${code}) before they were ready.`, {
          hint: `Run "npm ci" to install dynalite, s3rver and aws-ses-v2-local. Their output was:\n${stderr.trim()}`,
        }),
      ),
    );
  });
}
