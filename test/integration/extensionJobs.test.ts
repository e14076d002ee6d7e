// The extension's table commands run jobs through the application layer: a failed backup is
// emailed too (before, only a success was), over HTTP to the SES emulator, on the real connection
// the extension builds. VS Code itself is the small fake; code-server runs the rest (test/vscode).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemorySecretStore, type RunningEmulators, startEmulators } from '@coldkeep/shared';
import { installFakeVscode } from '../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const settings = require('coldkeep-vscode/out/settings') as typeof import('coldkeep-vscode/out/settings');
const tableCommands =
  require('coldkeep-vscode/out/commands/tableCommands') as typeof import('coldkeep-vscode/out/commands/tableCommands');
const connectionModule = require('coldkeep-vscode/out/connection') as typeof import('coldkeep-vscode/out/connection');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('extension table commands through the application layer', () => {
  let emulators: RunningEmulators;
  before(async () => {
    emulators = await startEmulators();
  });
  after(async () => {
    await emulators?.stop();
  });

  test('a failed backup is emailed (FAILED, with its error) and shown as failed', async () => {
    const values: Record<string, unknown> = {
      bucket: 'no-such-bucket',
      notifyTo: 'ops@example.com',
      notifyFrom: 'coldkeep@example.com',
    };
    const extensionSettings = settings.readSettings({ get: <T>(key: string) => values[key] as T | undefined });
    const connection = new connectionModule.Connection(
      extensionSettings,
      new MemorySecretStore(),
      { askCode: async () => undefined },
      {},
      emulators.settings,
    );
    const lines: string[] = [];
    const app = {
      connection: () => connection,
      output: { appendLine: (l: string) => lines.push(l), show: () => undefined },
      refreshViews: () => undefined,
    } as never;
    try {
      await fetch(`${emulators.endpoints.ses}/clear-store`, { method: 'POST' });
      fake.messages.length = 0;
      const report = await tableCommands.backupTableCommand(app, 'NoSuchTable', { engine: 'scan' });
      assert.equal(report, undefined);
      assert.match(fake.messages.at(-1)!.text, /^Backup failed/);
      const { emails } = (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as {
        emails: { subject: string; body: { text?: string } }[];
      };
      assert.equal(emails.length, 1, 'one email, about the failure');
      assert.match(emails[0]!.subject, /^Coldkeep: Backup of table NoSuchTable FAILED/);
      assert.match(emails[0]!.body.text!, /\[NoSuchTable\]/);
      assert.match(lines.join('\n'), /Emailed ops@example\.com: Coldkeep: Backup of table NoSuchTable FAILED/);
    } finally {
      connection.dispose();
    }
  });
});
