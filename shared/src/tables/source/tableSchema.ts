import type { KeySchemaElement, Projection, TableDescription, TimeToLiveDescription } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';

const keyElement = z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) });
const throughputSpec = z.object({ readCapacityUnits: z.number(), writeCapacityUnits: z.number() });
const indexSpec = z.object({
  indexName: z.string(),
  keySchema: z.array(keyElement),
  projection: z.object({
    ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']).optional(),
    NonKeyAttributes: z.array(z.string()).optional(),
  }),
  /** Only for GSIs of provisioned tables. */
  provisionedThroughput: throughputSpec.optional(),
});

/**
 * Everything needed to recreate a table: what backups store in their manifest and what
 * restore uses with "create the table from the saved schema". Field names inside key
 * schemas and projections are DynamoDB's own, so they pass straight to CreateTable.
 */
export const tableSchemaSpec = z.object({
  tableName: z.string(),
  tableArn: z.string().optional(),
  keySchema: z.array(keyElement).min(1),
  attributeDefinitions: z.array(z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) })),
  billingMode: z.enum(['PROVISIONED', 'PAY_PER_REQUEST']),
  provisionedThroughput: throughputSpec.optional(),
  globalSecondaryIndexes: z.array(indexSpec),
  localSecondaryIndexes: z.array(indexSpec),
  ttl: z.object({ attributeName: z.string(), enabled: z.boolean() }).optional(),
  stream: z
    .object({
      enabled: z.boolean(),
      viewType: z.enum(['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY']).optional(),
    })
    .optional(),
  sse: z.object({ type: z.string(), kmsKeyArn: z.string().optional() }).optional(),
  tableClass: z.enum(['STANDARD', 'STANDARD_INFREQUENT_ACCESS']).optional(),
  deletionProtection: z.boolean().optional(),
  /** DynamoDB's own estimates (refreshed about every six hours), used to plan a scan. */
  approximateItemCount: z.number(),
  approximateSizeBytes: z.number(),
});

export type TableSchema = z.infer<typeof tableSchemaSpec>;
export type Throughput = z.infer<typeof throughputSpec>;
export type IndexSchema = z.infer<typeof indexSpec>;
type KeyElement = z.infer<typeof keyElement>;

function keys(elements: KeySchemaElement[] | undefined): KeyElement[] {
  return (elements ?? []).map((k) => ({ AttributeName: k.AttributeName ?? '', KeyType: k.KeyType ?? 'HASH' }));
}

function projection(p: Projection | undefined): IndexSchema['projection'] {
  return {
    ProjectionType: p?.ProjectionType ?? 'ALL',
    ...(p?.NonKeyAttributes ? { NonKeyAttributes: p.NonKeyAttributes } : {}),
  };
}

function throughput(
  t: { ReadCapacityUnits?: number; WriteCapacityUnits?: number } | undefined,
): Throughput | undefined {
  if (!t?.ReadCapacityUnits && !t?.WriteCapacityUnits) return undefined;
  return { readCapacityUnits: t.ReadCapacityUnits ?? 0, writeCapacityUnits: t.WriteCapacityUnits ?? 0 };
}

export function schemaFromDescription(table: TableDescription, ttl?: TimeToLiveDescription): TableSchema {
  const billingMode: TableSchema['billingMode'] =
    table.BillingModeSummary?.BillingMode ??
    (table.ProvisionedThroughput?.ReadCapacityUnits ? 'PROVISIONED' : 'PAY_PER_REQUEST');
  const provisioned = billingMode === 'PROVISIONED' ? throughput(table.ProvisionedThroughput) : undefined;
  const ttlEnabled = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
  return {
    tableName: table.TableName ?? '',
    ...(table.TableArn ? { tableArn: table.TableArn } : {}),
    keySchema: keys(table.KeySchema),
    attributeDefinitions: (table.AttributeDefinitions ?? []).map((a) => ({
      AttributeName: a.AttributeName ?? '',
      AttributeType: a.AttributeType ?? 'S',
    })),
    billingMode,
    ...(provisioned ? { provisionedThroughput: provisioned } : {}),
    globalSecondaryIndexes: (table.GlobalSecondaryIndexes ?? []).map((index) => {
      const indexThroughput = billingMode === 'PROVISIONED' ? throughput(index.ProvisionedThroughput) : undefined;
      return {
        indexName: index.IndexName ?? '',
        keySchema: keys(index.KeySchema),
        projection: projection(index.Projection),
        ...(indexThroughput ? { provisionedThroughput: indexThroughput } : {}),
      };
    }),
    localSecondaryIndexes: (table.LocalSecondaryIndexes ?? []).map((index) => ({
      indexName: index.IndexName ?? '',
      keySchema: keys(index.KeySchema),
      projection: projection(index.Projection),
    })),
    ...(ttl?.AttributeName ? { ttl: { attributeName: ttl.AttributeName, enabled: ttlEnabled } } : {}),
    ...(table.StreamSpecification
      ? {
          stream: {
            enabled: table.StreamSpecification.StreamEnabled ?? false,
            ...(table.StreamSpecification.StreamViewType ? { viewType: table.StreamSpecification.StreamViewType } : {}),
          },
        }
      : {}),
    ...(table.SSEDescription?.SSEType
      ? {
          sse: {
            type: table.SSEDescription.SSEType,
            ...(table.SSEDescription.KMSMasterKeyArn ? { kmsKeyArn: table.SSEDescription.KMSMasterKeyArn } : {}),
          },
        }
      : {}),
    ...(table.TableClassSummary?.TableClass ? { tableClass: table.TableClassSummary.TableClass } : {}),
    ...(table.DeletionProtectionEnabled !== undefined ? { deletionProtection: table.DeletionProtectionEnabled } : {}),
    approximateItemCount: table.ItemCount ?? 0,
    approximateSizeBytes: table.TableSizeBytes ?? 0,
  };
}

/** The account id from a table ARN (arn:aws:dynamodb:region:account:table/name). */
export function accountFromArn(arn: string | undefined): string | undefined {
  return arn?.split(':')[4] || undefined;
}
