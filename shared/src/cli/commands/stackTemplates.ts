import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { TemplateParameter } from '../../infra/stacks/templateParameters';
import type { CliContext } from '../context';
import { table } from '../format';

function constraints(p: TemplateParameter): string {
  const parts: string[] = [];
  if (p.allowedValues) parts.push(`one of ${p.allowedValues.join('|')}`);
  if (p.minValue !== undefined || p.maxValue !== undefined) parts.push(`${p.minValue ?? ''}..${p.maxValue ?? ''}`);
  if (p.minLength !== undefined || p.maxLength !== undefined)
    parts.push(`length ${p.minLength ?? 0}..${p.maxLength ?? ''}`);
  if (p.allowedPattern) parts.push(`pattern ${p.allowedPattern}`);
  return parts.join(', ');
}

export function stackTemplatesCommand(context: () => Promise<CliContext>): Command {
  return new Command('templates')
    .description('list the CloudFormation templates Coldkeep deploys, or one with its parameters')
    .argument('[name]', 'a template: show its parameters')
    .option(
      '--templates-dir <dir>',
      'folder of the templates (default: $COLDKEEP_TEMPLATES_DIR, else the bundled ones)',
    )
    .action(async (name: string | undefined, flags: { templatesDir?: string }) => {
      const ctx = await context();
      const { listTemplates } = await import('../../infra/stacks/templateCatalog.js');
      const all = await listTemplates(flags.templatesDir ? { templatesDir: flags.templatesDir } : {});
      const chosen = name ? all.filter((t) => t.name === name) : all;
      if (name && chosen.length === 0) {
        throw new ColdkeepError('NoSuchTemplate', `There is no template "${name}".`, {
          hint: `Choose one of: ${all.map((t) => t.name).join(', ')}.`,
        });
      }
      if (ctx.json) return ctx.out(JSON.stringify({ templates: chosen }, null, 2));
      if (!name) {
        ctx.out(
          table(
            ['TEMPLATE', 'STACK', 'DESCRIPTION'],
            all.map((t) => [t.name, t.defaultStackName, firstSentence(t.description)]),
          ),
        );
        ctx.out(
          '\nParameters of one: coldkeep stack templates NAME. Deploy: coldkeep stack deploy NAME --param KEY=VALUE ...',
        );
        return;
      }
      const t = chosen[0]!;
      ctx.out(
        `${t.name} (deployed as stack ${t.defaultStackName} unless --stack-name says otherwise)\n\n${t.description}\n`,
      );
      ctx.out(
        table(
          ['PARAMETER', 'TYPE', 'DEFAULT', 'CONSTRAINTS', 'DESCRIPTION'],
          t.parameters
            .filter((p) => !p.filledByDeploy)
            .map((p) => [
              p.name + (p.required ? ' *' : ''),
              p.type,
              p.default === undefined ? '' : JSON.stringify(p.default),
              constraints(p),
              p.description,
            ]),
        ),
      );
      ctx.out('\n* required on the first deploy.');
    });
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  const end = flat.indexOf(': ');
  return end > 0 && end < 100 ? flat.slice(0, end) : flat.slice(0, 100);
}
