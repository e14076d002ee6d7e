import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { CliContext } from '../context';
import { table } from '../format';
import { stackNameFor } from './stackShared';

export function stackStatusCommand(context: () => Promise<CliContext>): Command {
  return new Command('status')
    .description("a stack's status, outputs and parameters")
    .argument('<name>', 'stack name, or a template name for its default stack (coldkeep-<template>)')
    .action(async (name: string) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { stackStatus } = await import('../../infra/stacks/stackStatus.js');
      const clients = new AwsClients(ctx.settings);
      try {
        const status = await stackStatus(clients, await stackNameFor(name));
        // A stack that is not there is an answer a script must not mistake for a stack (exit 1).
        if (!status.exists) {
          throw new ColdkeepError('NoSuchStack', `Stack ${status.stackName} does not exist in ${clients.region}.`, {
            hint: 'Check the name and the region ({setting:region}); "coldkeep stack deploy TEMPLATE" creates it.',
            details: { stackName: status.stackName, region: clients.region },
          });
        }
        if (ctx.json) return ctx.out(JSON.stringify(status, null, 2));
        const lines = [
          `Stack ${status.stackName}: ${status.status}${status.statusReason ? ` (${status.statusReason})` : ''}`,
          ...(status.template ? [`Template:  ${status.template}`] : []),
          ...((status.updatedAt ?? status.createdAt) ? [`Updated:   ${status.updatedAt ?? status.createdAt}`] : []),
        ];
        if (status.outputs.length) {
          lines.push(
            'Outputs:',
            ...table(
              ['KEY', 'VALUE'],
              status.outputs.map((o) => [o.key, o.value]),
            )
              .split('\n')
              .map((l) => `  ${l}`),
          );
        }
        const params = Object.entries(status.parameters);
        if (params.length) {
          lines.push(
            'Parameters:',
            ...table(['KEY', 'VALUE'], params)
              .split('\n')
              .map((l) => `  ${l}`),
          );
        }
        ctx.out(lines.join('\n'));
      } finally {
        clients.destroy();
      }
    });
}
