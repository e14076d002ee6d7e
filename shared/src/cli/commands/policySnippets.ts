import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { PlaceholderValues } from '../../infra/policy/snippets';
import { PLACEHOLDERS } from '../../infra/policy/placeholders';
import type { CliContext } from '../context';
import { table } from '../format';

interface SnippetFlags {
  bucket?: string;
  prefix?: string;
  account?: string;
  sourceAccount?: string;
  writerRole?: string[];
  readerRole?: string[];
  adminRole?: string[];
  kmsKey?: string;
  table?: string;
  trail?: string;
  function?: string;
  editor?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

export function valuesFromFlags(flags: SnippetFlags, region: string | undefined): PlaceholderValues {
  const values: PlaceholderValues = {};
  if (flags.bucket) values.Bucket = flags.bucket;
  if (flags.prefix !== undefined) values.Prefix = flags.prefix.replace(/^\/+|\/+$/g, '');
  if (flags.account) values.Account = flags.account;
  if (region) values.Region = region;
  if (flags.sourceAccount) values.SourceAccount = flags.sourceAccount;
  if (flags.writerRole?.length) values.WriterRoleArn = flags.writerRole;
  if (flags.readerRole?.length) values.ReaderRoleArn = flags.readerRole;
  if (flags.adminRole?.length) values.AdminRoleArn = flags.adminRole;
  // A key ARN is accepted too: the snippets need the id after "key/".
  if (flags.kmsKey) values.KmsKeyId = flags.kmsKey.replace(/^arn:[^:]+:kms:[^:]*:[^:]*:key\//, '');
  if (flags.table) values.Table = flags.table;
  if (flags.trail) values.TrailName = flags.trail;
  if (flags.function) values.FunctionName = flags.function;
  return values;
}

export function policySnippetsCommand(context: () => Promise<CliContext>): Command {
  return new Command('snippets')
    .description('list the policy snippets, or print one with its placeholders filled from the flags')
    .argument('[name]', 'snippet to print')
    .option('--bucket <name>', PLACEHOLDERS.Bucket.description)
    .option('--prefix <prefix>', PLACEHOLDERS.Prefix.description)
    .option('--account <id>', PLACEHOLDERS.Account.description)
    .option('--source-account <id>', PLACEHOLDERS.SourceAccount.description)
    .option('--writer-role <arn>', `${PLACEHOLDERS.WriterRoleArn.description} (repeatable)`, collect)
    .option('--reader-role <arn>', `${PLACEHOLDERS.ReaderRoleArn.description} (repeatable)`, collect)
    .option('--admin-role <arn>', `${PLACEHOLDERS.AdminRoleArn.description} (repeatable)`, collect)
    .option('--kms-key <id>', PLACEHOLDERS.KmsKeyId.description)
    .option('--table <name>', PLACEHOLDERS.Table.description)
    .option('--trail <name>', PLACEHOLDERS.TrailName.description)
    .option('--function <name>', PLACEHOLDERS.FunctionName.description)
    .option('--editor', 'print the editor snippet body (${1:…} tab-stops) instead')
    .action(async (name: string | undefined, flags: SnippetFlags) => {
      const ctx = await context();
      const { fillSnippet, findSnippet, POLICY_SNIPPETS, snippetBody, snippetPlaceholders } =
        await import('../../infra/policy/snippets.js');
      if (!name) {
        if (ctx.json) {
          return ctx.out(
            JSON.stringify(
              POLICY_SNIPPETS.map((s) => ({ ...s, placeholders: snippetPlaceholders(s), body: snippetBody(s) })),
              null,
              2,
            ),
          );
        }
        ctx.out(
          table(
            ['NAME', 'KIND', 'DESCRIPTION'],
            POLICY_SNIPPETS.map((s) => [s.name, s.kind, s.description]),
          ),
        );
        ctx.out('\nPrint one with "coldkeep policy snippets NAME" (placeholders from --bucket, --account, …).');
        return;
      }
      const snippet = findSnippet(name);
      if (!snippet) {
        throw new ColdkeepError('InvalidInput', `There is no snippet "${name}".`, {
          hint: `Snippets: ${POLICY_SNIPPETS.map((s) => s.name).join(', ')}.`,
        });
      }
      if (flags.editor) return ctx.out(snippetBody(snippet));
      const { document, missing } = fillSnippet(snippet, valuesFromFlags(flags, ctx.settings.region));
      if (ctx.json) {
        return ctx.out(
          JSON.stringify(
            { name: snippet.name, kind: snippet.kind, description: snippet.description, missing, document },
            null,
            2,
          ),
        );
      }
      ctx.out(JSON.stringify(document, null, 2));
      if (missing.length) {
        process.stderr.write(
          `Fill in: ${missing.map((m) => `<${m}> (${PLACEHOLDERS[m].flag}, e.g. ${PLACEHOLDERS[m].example})`).join(', ')}\n`,
        );
      }
    });
}
