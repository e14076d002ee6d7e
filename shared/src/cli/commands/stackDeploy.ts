import { Command } from 'commander';
import type { DeployReport, StackChange } from '../../infra/stacks/deployReport';
import { type CliContext, withCancel } from '../context';
import { formatBytes, formatDuration, table } from '../format';
import { collectParam, eventLine } from './stackShared';

interface DeployFlags {
  param?: Record<string, string>;
  stackName?: string;
  dryRun?: boolean;
  templatesDir?: string;
  lambdaBundle?: string;
}

function changeLines(changes: StackChange[]): string {
  if (changes.length === 0) return '  (no resource changes)';
  return table(
    ['ACTION', 'RESOURCE', 'TYPE', 'REPLACEMENT'],
    changes.map((c) => [c.action, c.logicalId, c.resourceType, c.replacement ?? '']),
  )
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function reportLines(r: DeployReport): string[] {
  if (r.noChanges) return [`Stack ${r.stackName} is up to date: the template and parameters change nothing.`];
  if (!r.executed) return [`Dry run: change set not executed and removed; stack ${r.stackName} is unchanged.`];
  return [
    `Stack ${r.stackName} ${r.changeSetType === 'CREATE' ? 'created' : 'updated'}: ${r.status} in ${formatDuration(r.durationMs)}.`,
  ];
}

export function stackDeployCommand(context: () => Promise<CliContext>): Command {
  return new Command('deploy')
    .description('deploy a template as a stack through a change set: show the changes, execute, stream the events')
    .argument('<template>', 'template name ("coldkeep stack templates" lists them)')
    .option('--param <key=value>', 'a parameter value (repeat for each)', collectParam)
    .option('--stack-name <name>', 'stack name (default: coldkeep-<template>)')
    .option('--dry-run', 'create the change set, show its changes, then remove it without executing')
    .option(
      '--templates-dir <dir>',
      'folder of the templates (default: $COLDKEEP_TEMPLATES_DIR, else the bundled ones)',
    )
    .option(
      '--lambda-bundle <zip>',
      'the Lambda bundle to upload (default: $COLDKEEP_LAMBDA_BUNDLE, else infra-templates/dist)',
    )
    .action(async (template: string, flags: DeployFlags) => {
      const ctx = await context();
      const { AwsClients } = await import('../../base/aws/clients.js');
      const { deployStack } = await import('../../infra/stacks/deployStack.js');
      const clients = new AwsClients(ctx.settings);
      const say = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      try {
        const report = await withCancel((signal) =>
          deployStack(
            clients,
            { template, params: flags.param ?? {}, ...(flags.stackName ? { stackName: flags.stackName } : {}) },
            {
              signal,
              ...(flags.templatesDir ? { templatesDir: flags.templatesDir } : {}),
              ...(flags.lambdaBundle ? { lambdaBundlePath: flags.lambdaBundle } : {}),
              ...(flags.dryRun ? { approve: () => false } : {}),
              onProgress: (p) => {
                if (p.phase === 'upload')
                  say(
                    `Lambda bundle ${p.uploaded ? 'uploaded to' : 'already in'} s3://${p.bucket}/${p.key} (${formatBytes(p.bytes)}).`,
                  );
                else if (p.phase === 'change-set') say(`Creating a ${p.changeSetType} change set for ${p.stackName}…`);
                else if (p.phase === 'changes' && !ctx.json) say(`Changes:\n${changeLines(p.changes)}`);
                else if (p.phase === 'execute') say('Executing; stack events:');
                else if (p.phase === 'event') say(`  ${eventLine(p.event)}`);
              },
            },
          ),
        );
        if (ctx.json) return ctx.out(JSON.stringify({ ok: true, deploy: report }, null, 2));
        const lines = reportLines(report);
        if (report.outputs.length) {
          lines.push('Outputs:');
          lines.push(
            ...table(
              ['KEY', 'VALUE'],
              report.outputs.map((o) => [o.key, o.value]),
            )
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
