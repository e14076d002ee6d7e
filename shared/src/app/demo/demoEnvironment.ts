import { join } from 'node:path';
import { AwsClients } from '../../base/aws/clients';
import { DEMO_BUCKET, DEMO_TABLE, ensureDemoData } from './demoData';
import { type RunningEmulators, startEmulators } from './emulators';

/** A local demo that lasts: emulators keeping their data, the bucket and the table to back up. */
export interface DemoEnvironment {
  emulators: RunningEmulators;
  bucket: string;
  table: string;
}

/**
 * The embedded emulators (DynamoDB, S3, SES on 127.0.0.1) with their data kept under `dataDir`/demo,
 * the demo bucket and a student table of `items` (made the first time only), so every page of a
 * front end can be tried without an AWS account.
 */
export async function startDemoEnvironment(dataDir: string, items = 200): Promise<DemoEnvironment> {
  const emulators = await startEmulators({ dataDir: join(dataDir, 'demo'), dynamodbOnDisk: true });
  const clients = new AwsClients(emulators.settings);
  try {
    await ensureDemoData(clients, items);
  } catch (err) {
    await emulators.stop();
    throw err;
  } finally {
    clients.destroy();
  }
  return { emulators, bucket: DEMO_BUCKET, table: DEMO_TABLE };
}
