import { Command } from 'commander';
import { runPool } from '../../base/jobs/pool';
import { type CliContext } from '../context';
import { formatBytes, formatCount, table } from '../format';

export function tablesListCommand(context: () => Promise<CliContext>): Command {
  return new Command('list')
    .description('list the DynamoDB tables in the region, with their item counts and sizes')
    .action(async () => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { describeTable, listTables } = await import('../../tables/source/describeTable.js');
      const clients = new AwsClients(ctx.settings);
      try {
        const names = await listTables(clients.dynamodb);
        const rows: { name: string; items: number; bytes: number; billing: string; keys: string }[] = [];
        await runPool(names, 8, async (name) => {
          const schema = await describeTable(clients.dynamodb, name);
          rows.push({
            name,
            items: schema.approximateItemCount,
            bytes: schema.approximateSizeBytes,
            billing: schema.billingMode,
            keys: schema.keySchema.map((k) => k.AttributeName).join(', '),
          });
        });
        rows.sort((a, b) => a.name.localeCompare(b.name));
        if (ctx.json) return ctx.out(JSON.stringify({ region: clients.region, tables: rows }, null, 2));
        if (rows.length === 0) return ctx.out(`No tables in ${clients.region}.`);
        ctx.out(
          table(
            ['TABLE', 'ITEMS (approx.)', 'SIZE (approx.)', 'BILLING', 'KEYS'],
            rows.map((r) => [r.name, formatCount(r.items), formatBytes(r.bytes), r.billing, r.keys]),
          ),
        );
      } finally {
        clients.destroy();
      }
    });
}
