import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { type CliContext, withCancel } from '../context';
import { eventLine, stackNameFor } from './stackShared';

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function stackDeleteCommand(context: () => Promise<CliContext>): Command {
  return new Command('delete')
    .description('delete a stack (buckets and keys that hold backups are kept) and stream its events')
    .argument('<name>', 'stack name, or a template name for its default stack (coldkeep-<template>)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (name: string, flags: { yes?: boolean }) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { deleteStack } = await import('../../infra/stacks/deleteStack.js');
      const stackName = await stackNameFor(name);
      if (!flags.yes) {
        if (!process.stdin.isTTY) {
          throw new ColdkeepError('InvalidInput', `Deleting stack ${stackName} needs confirmation.`, {
            hint: 'Pass --yes to delete without asking.',
          });
        }
        if (!(await confirm(`Delete stack ${stackName}? Buckets and keys with backups are kept. [y/N] `))) {
          ctx.out('Not deleted.');
          return;
        }
      }
      const clients = new AwsClients(ctx.settings);
      try {
        const report = await withCancel((signal) =>
          deleteStack(
            clients,
            { stackName },
            {
              signal,
              onProgress: (p) => {
                if (p.phase === 'event') process.stderr.write(`  ${eventLine(p.event)}\n`);
              },
            },
          ),
        );
        if (ctx.json) return ctx.out(JSON.stringify({ ok: true, delete: report }, null, 2));
        if (!report.existed) return ctx.out(`Stack ${stackName} does not exist; nothing to delete.`);
        const lines = [`Stack ${stackName} deleted.`];
        if (report.retained.length) {
          lines.push(
            'Kept (DeletionPolicy: Retain):',
            ...report.retained.map(
              (r) => `  ${r.logicalId} (${r.resourceType})${r.physicalId ? ` ${r.physicalId}` : ''}`,
            ),
          );
        }
        ctx.out(lines.join('\n'));
      } finally {
        clients.destroy();
      }
    });
}
