import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  TagResourceCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { fromAwsError } from '../../base/errors/fromAwsError';
import type { TableSchema } from '../source/tableSchema';
import { createTableInput } from '../restore/targetTable';

/** Every scratch table's name starts so; the policy generator limits CreateTable/DeleteTable to it. */
export const SCRATCH_PREFIX = 'coldkeep-drill-';

/** The tag every scratch table carries, so nobody mistakes one for a real table (and a sweep can find them). */
export const SCRATCH_TAG = 'coldkeep:drill';

/**
 * `coldkeep-drill-<table>-<time>-<random>`: unmistakable, unique per drill, and within
 * DynamoDB's 255 characters (a long source name is cut).
 */
export function scratchTableName(table: string, now = new Date()): string {
  const id = `${now
    .toISOString()
    .replace(/[-:]|\.\d+/g, '')
    .toLowerCase()}-${randomBytes(3).toString('hex')}`;
  return `${SCRATCH_PREFIX}${table.slice(0, 255 - SCRATCH_PREFIX.length - id.length - 1)}-${id}`;
}

export function scratchTags(table: string, backupId: string | undefined): { Key: string; Value: string }[] {
  return [
    { Key: SCRATCH_TAG, Value: 'scratch' },
    { Key: 'coldkeep:drill-of', Value: table },
    ...(backupId ? [{ Key: 'coldkeep:drill-backup', Value: backupId }] : []),
  ];
}

/**
 * The schema a scratch table is made from: the backup's keys and indexes, on demand (a drill must
 * not need capacity planning), without deletion protection (it is deleted at the end), streams
 * or TTL (nothing may act on, or expire, its items while they are compared).
 */
export function scratchSchema(schema: TableSchema): TableSchema {
  const copy: TableSchema = { ...schema, billingMode: 'PAY_PER_REQUEST', deletionProtection: false };
  delete copy.stream;
  delete copy.ttl;
  return copy;
}

export async function createScratchTable(
  client: DynamoDBClient,
  schema: TableSchema,
  name: string,
  tags: { Key: string; Value: string }[],
  signal?: AbortSignal,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(scratchSchema(schema), name)), { abortSignal: signal });
    await waitUntilTableExists(
      { client, maxWaitTime: 900, minDelay: 1, maxDelay: 10, abortSignal: signal },
      { TableName: name },
    );
  } catch (err) {
    throw fromAwsError(err, { doing: `create the scratch table ${name}`, table: name });
  }
  // Tagged once it exists, as ImportTable's tables are (one way for both engines, one permission).
  await tagScratchTable(client, name, tags);
}

/** Tags a scratch table (ImportTable takes no tags, and not every DynamoDB-compatible service honours CreateTable's). */
export async function tagScratchTable(
  client: DynamoDBClient,
  name: string,
  tags: { Key: string; Value: string }[],
): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    await client.send(new TagResourceCommand({ ResourceArn: Table!.TableArn!, Tags: tags }));
  } catch (err) {
    throw fromAwsError(err, { doing: `tag the scratch table ${name}`, table: name });
  }
}

/**
 * Deletes a scratch table; true when it is gone (or was never made). Never takes the drill's
 * signal: a cancelled drill must still clean up.
 */
export async function deleteScratchTable(client: DynamoDBClient, name: string): Promise<true | string> {
  try {
    await client.send(new DeleteTableCommand({ TableName: name }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return true;
    return (err as Error).message || String(err);
  }
}
