import { type Command, InvalidArgumentError, Option } from 'commander';
import type { StorageOptions } from '../storage/storageOptions';
import { ColdkeepError } from '../base/errors/ColdkeepError';
import { parseDate, wholeNumber } from './parse';

/** Flags for how backup objects are stored; shared by "backup table" and "files backup". */
export interface StorageFlags {
  lifecycleTag?: string | false;
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  lockUntil?: Date;
  lockDays?: number;
}

export function parseTag(value: string): string {
  if (!/^[^=]+=[^=]*$/.test(value))
    throw new InvalidArgumentError('expected KEY=VALUE, e.g. coldkeep-lifecycle=archive');
  return value;
}

export function addStorageOptions(command: Command, objects = 'data objects'): Command {
  return command
    .option('--lifecycle-tag <key=value>', 'tag for the lifecycle rule (default coldkeep-lifecycle=archive)', parseTag)
    .option('--no-lifecycle-tag', `do not tag ${objects}`)
    .addOption(new Option('--sse <type>', 'server-side encryption').choices(['AES256', 'aws:kms']))
    .option('--kms-key-id <id>', 'KMS key for --sse aws:kms (default: the AWS managed key)')
    .addOption(new Option('--lock-mode <mode>', 'Object Lock retention mode').choices(['GOVERNANCE', 'COMPLIANCE']))
    .option('--lock-until <date>', 'Object Lock retain-until date (ISO 8601)', parseDate)
    .option(
      '--lock-days <n>',
      'Object Lock retention in days from now (at most 36,500: 100 years)',
      wholeNumber('--lock-days', 1, 36_500),
    );
}

/** The storage options the flags ask for; contradictory flags are a usage error with a hint. */
export function storageFromFlags(flags: StorageFlags, now = new Date()): StorageOptions {
  const storage: StorageOptions = {};
  if (flags.lifecycleTag === false) storage.lifecycleTag = null;
  else if (flags.lifecycleTag) {
    const [key, value] = flags.lifecycleTag.split('=') as [string, string];
    storage.lifecycleTag = { key, value };
  }
  if (flags.kmsKeyId && flags.sse !== 'aws:kms' && flags.sse !== undefined) {
    throw new ColdkeepError('InvalidInput', '--kms-key-id goes with --sse aws:kms.', {
      hint: 'Drop --kms-key-id for AES256, or use --sse aws:kms.',
    });
  }
  if (flags.sse === 'aws:kms' || flags.kmsKeyId) {
    storage.sse = { type: 'aws:kms', ...(flags.kmsKeyId ? { kmsKeyId: flags.kmsKeyId } : {}) };
  } else if (flags.sse === 'AES256') storage.sse = { type: 'AES256' };
  if (flags.lockMode) {
    const until =
      flags.lockUntil ?? (flags.lockDays ? new Date(now.getTime() + flags.lockDays * 86_400_000) : undefined);
    if (!until) {
      throw new ColdkeepError('InvalidInput', '--lock-mode needs a retention period.', {
        hint: 'Add --lock-until DATE or --lock-days N.',
      });
    }
    storage.objectLock = { mode: flags.lockMode, retainUntil: until };
  } else if (flags.lockUntil || flags.lockDays) {
    throw new ColdkeepError('InvalidInput', '--lock-until/--lock-days need --lock-mode.', {
      hint: 'Add --lock-mode GOVERNANCE or --lock-mode COMPLIANCE.',
    });
  }
  return storage;
}

/** The key prefix from --prefix or $COLDKEEP_PREFIX (undefined: the default). */
export function prefixFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? env.COLDKEEP_PREFIX;
}
