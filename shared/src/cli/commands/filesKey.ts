import { Command } from 'commander';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import type { KeyWrapSummary } from '../../folders/repository/keyWraps';
import type { CliContext } from '../context';
import { table } from '../format';
import {
  addKeyOptions,
  askHidden,
  type KeyFlags,
  keyMaterialFromFlags,
  PASSPHRASE_ENV,
  readPassphraseFile,
} from '../keyFlags';
import { addSourceOptions, resolveSource, type SourceFlags } from './filesCommon';

const NEW_PASSPHRASE_ENV = 'COLDKEEP_NEW_PASSPHRASE';

type KeyCommandFlags = SourceFlags & KeyFlags & { newPassphraseFile?: string };

function wrapRows(wraps: KeyWrapSummary[]): string {
  return table(
    ['ID', 'TYPE', 'KMS KEY', 'CREATED', 'BY'],
    wraps.map((w) => [w.id, w.type, w.kmsKeyId ?? '', w.createdAt, w.createdBy]),
  );
}

/** The new wrap's passphrase: a file, $COLDKEEP_NEW_PASSPHRASE, the current one for a first wrap, or asked twice. */
async function newPassphrase(flags: KeyCommandFlags, first: boolean): Promise<string> {
  if (flags.newPassphraseFile) return readPassphraseFile(flags.newPassphraseFile);
  if (process.env[NEW_PASSPHRASE_ENV]) return process.env[NEW_PASSPHRASE_ENV];
  if (first && flags.passphraseFile) return readPassphraseFile(flags.passphraseFile);
  if (first && process.env[PASSPHRASE_ENV]) return process.env[PASSPHRASE_ENV];
  if (!process.stdin.isTTY) {
    throw new ColdkeepError('InvalidInput', 'No passphrase for the new key wrap.', {
      hint: `Give it in a file ({setting:newPassphraseFile}) or $${NEW_PASSPHRASE_ENV}, or run on a terminal to be asked.`,
    });
  }
  const once = await askHidden('New passphrase: ');
  const twice = once ? await askHidden('The same again: ') : undefined;
  if (!once || once !== twice) {
    throw new ColdkeepError('InvalidInput', 'The two passphrases typed differ (or none was typed).', {
      hint: 'Run the command again.',
    });
  }
  return once;
}

export function filesKeyCommand(context: () => Promise<CliContext>): Command {
  const key = new Command('key').description(
    "the key wraps of an encrypted source: each one (a passphrase or a KMS key) opens the source's repository key",
  );

  const add = new Command('add')
    .description("add a key wrap (the first one turns encryption on for the source's next backups)")
    .option('--kms-key <key>', 'wrap with this KMS key (ARN, id or alias) instead of a passphrase')
    .option(
      '--new-passphrase-file <file>',
      `the new wrap's passphrase, from a file (or $${NEW_PASSPHRASE_ENV}; asked otherwise)`,
    );
  addSourceOptions(add);
  addKeyOptions(add);
  add.action(async (flags: KeyCommandFlags) => {
    const ctx = await context();
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { addKeyWrap, listSourceKeys } = await import('../../folders/keys/manageKeys.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const where = await resolveSource(clients, flags);
      const { encrypted } = await listSourceKeys(clients, where);
      const report = await addKeyWrap(clients, {
        ...where,
        keys: keyMaterialFromFlags({ passphraseFile: flags.passphraseFile }),
        ...(flags.kmsKey ? { kmsKeyId: flags.kmsKey } : { newPassphrase: await newPassphrase(flags, !encrypted) }),
      });
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, key: report }, null, 2));
      ctx.out(
        [
          `Added key wrap ${report.added.id} (${report.added.type}${report.added.kmsKeyId ? ` ${report.added.kmsKeyId}` : ''}) to source "${report.source}".`,
          ...(report.warning ? ['', `WARNING: ${report.warning}`, ''] : []),
          wrapRows(report.wraps),
        ].join('\n'),
      );
    } finally {
      clients.destroy();
    }
  });

  const list = new Command('list').description("list a source's key wraps (nothing secret)");
  addSourceOptions(list);
  list.action(async (flags: SourceFlags) => {
    const ctx = await context();
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { listSourceKeys } = await import('../../folders/keys/manageKeys.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const report = await listSourceKeys(clients, await resolveSource(clients, flags));
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, keys: report }, null, 2));
      ctx.out(
        report.encrypted
          ? wrapRows(report.wraps)
          : `Source "${report.source}" is not encrypted (no key wraps). "coldkeep files key add" turns encryption on.`,
      );
    } finally {
      clients.destroy();
    }
  });

  const remove = new Command('remove')
    .description('remove a key wrap; another wrap must open the source, and the last one is never removed')
    .argument('<wrap>', 'the wrap id (see "coldkeep files key list")');
  addSourceOptions(remove);
  addKeyOptions(remove);
  remove.action(async (wrapId: string, flags: KeyCommandFlags) => {
    const ctx = await context();
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { removeKeyWrap } = await import('../../folders/keys/manageKeys.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const where = await resolveSource(clients, flags);
      const report = await removeKeyWrap(clients, { ...where, wrapId, keys: keyMaterialFromFlags(flags) });
      if (ctx.json) return ctx.out(JSON.stringify({ ok: true, key: report }, null, 2));
      ctx.out(
        [`Removed key wrap ${report.removed.id} of source "${report.source}".`, wrapRows(report.wraps)].join('\n'),
      );
    } finally {
      clients.destroy();
    }
  });

  return key.addCommand(add).addCommand(list).addCommand(remove);
}
