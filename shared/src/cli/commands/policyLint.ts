import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { Command, Option } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { PolicyKind } from '../../infra/policy/lintChecks';
import type { LintResult } from '../../infra/policy/lintPolicy';
import type { CliContext } from '../context';

interface LintFlags {
  sarif?: boolean;
  format?: 'text' | 'sarif';
  kind?: PolicyKind;
}

interface FileResult extends LintResult {
  file: string;
}

async function lintFile(file: string, kind: PolicyKind | undefined): Promise<FileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ColdkeepError(
      'InvalidInput',
      `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
      {
        hint: 'Pass paths of policy files (JSON) or CloudFormation templates (YAML or JSON).',
        cause: err,
      },
    );
  }
  const { lintPolicy } = await import('../../infra/policy/lintPolicy.js');
  return { file, ...(await lintPolicy(text, { fileName: file, ...(kind ? { kind } : {}) })) };
}

function summary(
  countBySeverity: typeof import('../../infra/policy/findings').countBySeverity,
  results: FileResult[],
): { errors: number; warnings: number; infos: number } {
  const counts = countBySeverity(results.flatMap((r) => r.findings));
  return { errors: counts.error, warnings: counts.warning, infos: counts.info };
}

export function policyLintCommand(context: () => Promise<CliContext>): Command {
  return new Command('lint')
    .description(
      'check IAM policies (JSON) and the policies in CloudFormation templates (YAML or JSON); exits 1 when there are errors',
    )
    .argument('<files...>', 'policy documents or templates')
    .option('--sarif', 'print the findings as SARIF 2.1.0 (code scanning); the same as --format sarif')
    .addOption(
      new Option('--format <format>', 'text (default) or sarif (SARIF 2.1.0, for code scanning)').choices([
        'text',
        'sarif',
      ]),
    )
    .addOption(
      new Option(
        '--kind <kind>',
        'what a policy file is attached to (default: a Principal makes it a resource policy)',
      ).choices(['identity', 'resource', 'trust']),
    )
    .action(async (files: string[], flags: LintFlags) => {
      const ctx = await context();
      if (flags.format === 'sarif') flags.sarif = true;
      const { countBySeverity } = await import('../../infra/policy/findings.js');
      const { toSarif } = await import('../../infra/policy/sarif.js');
      if (flags.sarif && ctx.json) {
        throw new ColdkeepError('InvalidInput', '--sarif and --json are two output formats; choose one.', {
          hint: 'Use --sarif for code scanning, --json for scripts.',
        });
      }
      const results: FileResult[] = [];
      for (const file of files) results.push(await lintFile(file, flags.kind));
      const totals = summary(countBySeverity, results);

      if (flags.sarif) {
        const uri = (f: string): string => relative(process.cwd(), f).split(sep).join('/');
        ctx.out(JSON.stringify(toSarif(results.map((r) => ({ uri: uri(r.file), findings: r.findings }))), null, 2));
      } else if (ctx.json) {
        if (totals.errors === 0) ctx.out(JSON.stringify({ ok: true, ...totals, files: results }, null, 2));
      } else {
        for (const r of results) {
          for (const f of r.findings) {
            ctx.out(`${r.file}:${f.range.start.line}:${f.range.start.column}: ${f.severity} ${f.code}: ${f.message}`);
            ctx.out(`    ${f.hint}${f.document ? ` [${f.document}]` : ''}`);
          }
        }
        const what = results.length === 1 ? results[0]!.file : `${results.length} files`;
        ctx.out(`${what}: ${totals.errors} error(s), ${totals.warnings} warning(s).`);
      }
      if (totals.errors > 0) {
        throw new ColdkeepError(
          'PolicyInvalid',
          `${totals.errors} error(s) in ${results.filter((r) => r.findings.some((f) => f.severity === 'error')).length} file(s).`,
          {
            hint: 'Fix the errors listed above; each finding has a hint.',
            // With --json, the report is the error's details, so stdout holds one JSON document.
            ...(ctx.json ? { details: { ...totals, files: results } } : {}),
          },
        );
      }
    });
}
