import { Command } from 'commander';
import { CORE_OPERATIONS } from '../../infra/policy/actionTable';
import type { CliContext } from '../context';
import { cliHint } from '../format';

interface GenerateFlags {
  for: string;
  bucket?: string;
  prefix?: string;
  table?: string;
  kmsKey?: string;
  wrapKmsKey?: string;
  objectLock?: boolean;
  versionedBucket?: boolean;
  account?: string;
  emailIdentity?: string;
}

export function policyGenerateCommand(context: () => Promise<CliContext>): Command {
  return new Command('generate')
    .description("print the least-privilege identity policy for Coldkeep's own operations, scoped to ARNs")
    .requiredOption('--for <operations>', `comma-separated: ${CORE_OPERATIONS.join(', ')}`)
    .option('--bucket <name>', 'backup bucket (default: $COLDKEEP_BUCKET)')
    .option('--prefix <prefix>', 'key prefix of the backups (default: "coldkeep", or $COLDKEEP_PREFIX)')
    .option('--table <names>', 'tables backed up or restored into, comma-separated (default: every table)')
    .option('--kms-key <key>', 'KMS key of SSE-KMS (ARN, key id or alias/name): adds kms:GenerateDataKey/Decrypt')
    .option(
      '--wrap-kms-key <key>',
      'KMS key that wraps encrypted folder sources (files key add --kms-key): adds kms:GenerateDataKey/Decrypt on it',
    )
    .option('--object-lock', 'backups are written with Object Lock retention (adds s3:PutObjectRetention)')
    .option(
      '--versioned-bucket',
      'the bucket keeps versions: restores read the backed-up versions (adds s3:GetObjectVersion)',
    )
    .option('--account <id>', 'account ID in the ARNs (default: "*")')
    .option('--email-identity <identity>', 'SES identity mail is sent from (notify)')
    .action(async (flags: GenerateFlags) => {
      const ctx = await context();
      const { generatePolicy, parseOperations } = await import('../../infra/policy/generatePolicy.js');
      const prefix = flags.prefix ?? process.env.COLDKEEP_PREFIX;
      const bucket = flags.bucket ?? (process.env.COLDKEEP_BUCKET || undefined);
      const generated = generatePolicy({
        operations: parseOperations(flags.for),
        ...(bucket ? { bucket } : {}),
        ...(prefix !== undefined ? { prefix } : {}),
        ...(flags.table
          ? {
              tables: flags.table
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            }
          : {}),
        ...(flags.kmsKey ? { kmsKey: flags.kmsKey } : {}),
        ...(flags.wrapKmsKey ? { wrapKmsKey: flags.wrapKmsKey } : {}),
        ...(flags.objectLock ? { objectLock: true } : {}),
        ...(flags.versionedBucket ? { versionedBucket: true } : {}),
        ...(flags.account ? { account: flags.account } : {}),
        ...(ctx.settings.region ? { region: ctx.settings.region } : {}),
        ...(flags.emailIdentity ? { emailIdentity: flags.emailIdentity } : {}),
      });
      // Notes name settings as hints do: in the CLI, as flags.
      const notes = generated.notes.map((note) => cliHint(note)!);
      if (ctx.json) return ctx.out(JSON.stringify({ ...generated, notes }, null, 2));
      ctx.out(JSON.stringify(generated.policy, null, 2));
      for (const note of notes) process.stderr.write(`Note: ${note}\n`);
    });
}
