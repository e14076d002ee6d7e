import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ColdkeepError } from '../base/errors/ColdkeepError';
import type { KeyMaterial } from '../folders/repository/sourceKeyring';

/** The environment variable a script or schedule gives an encrypted source's passphrase in. */
export const PASSPHRASE_ENV = 'COLDKEEP_PASSPHRASE';

export interface KeyFlags {
  passphraseFile?: string;
  kmsKey?: string;
}

/** --passphrase-file (and, where encryption may be turned on, --kms-key). */
export function addKeyOptions(command: Command, { kms = false }: { kms?: boolean } = {}): Command {
  command.option(
    '--passphrase-file <file>',
    `the passphrase of an encrypted source, from a file (or $${PASSPHRASE_ENV}; asked on a terminal otherwise)`,
  );
  if (kms)
    command.option(
      '--kms-key <key>',
      'encrypt a source that is not yet encrypted, its key wrapped by this KMS key (ARN, id or alias)',
    );
  return command;
}

/** A passphrase file's content, without the line break editors add at its end. */
export function readPassphraseFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ColdkeepError('InvalidInput', `Cannot read the passphrase file ${file}.`, {
      hint: 'Give a file that holds the passphrase (its first line).',
      cause: err,
    });
  }
  const passphrase = text.replace(/\r?\n$/, '');
  if (!passphrase) {
    throw new ColdkeepError('InvalidInput', `The passphrase file ${file} is empty.`, {
      hint: 'Write the passphrase into it.',
    });
  }
  return passphrase;
}

/**
 * What the CLI gives a job to open an encrypted source: the passphrase from --passphrase-file or
 * $COLDKEEP_PASSPHRASE, a hidden prompt on a terminal when neither is set, and --kms-key. The
 * passphrase is never printed, logged nor part of --json.
 */
export function keyMaterialFromFlags(
  flags: KeyFlags,
  env: NodeJS.ProcessEnv = process.env,
  terminal: boolean = process.stdin.isTTY === true,
): KeyMaterial {
  const passphrase = flags.passphraseFile ? readPassphraseFile(flags.passphraseFile) : env[PASSPHRASE_ENV] || undefined;
  return {
    ...(passphrase ? { passphrase } : {}),
    ...(!passphrase && terminal ? { askPassphrase: () => askHidden('Passphrase: ') } : {}),
    ...(flags.kmsKey ? { kmsKeyId: flags.kmsKey } : {}),
  };
}

/** Reads a line from the terminal without echoing it. */
export function askHidden(question: string): Promise<string | undefined> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    process.stderr.write(question);
    let typed = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (value: string | undefined): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const c of chunk) {
        if (c === '\r' || c === '\n') return finish(typed);
        if (c === '\u0003' || c === '\u0004') return finish(undefined);
        if (c === '\u007f' || c === '\b') typed = typed.slice(0, -1);
        else typed += c;
      }
    };
    stdin.on('data', onData);
  });
}
