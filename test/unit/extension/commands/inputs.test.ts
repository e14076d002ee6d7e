// Command inputs: names checked as AWS does, and what a command takes as its argument.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type BackupSummary } from '@coldkeep/shared';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
installFakeVscode();
const ROOT = join(__dirname, '..', '..', '..', '..', '..');
/* eslint-disable @typescript-eslint/no-require-imports */
const inputs = require('coldkeep-vscode/out/commands/inputs') as typeof import('coldkeep-vscode/out/commands/inputs');
/* eslint-enable @typescript-eslint/no-require-imports */

function summary(overrides: Partial<BackupSummary> = {}): BackupSummary {
  return {
    bucket: 'b',
    prefix: 'coldkeep',
    account: '111122223333',
    region: 'eu-west-1',
    table: 'Orders',
    backupId: '20261123T120000Z-abcd',
    manifestKey: 'coldkeep/tables/111122223333/eu-west-1/Orders/20261123T120000Z-abcd/manifest.json',
    uri: 's3://b/coldkeep/tables/111122223333/eu-west-1/Orders/20261123T120000Z-abcd/',
    createdAt: '2026-11-23T12:00:00.000Z',
    itemCount: 1234,
    bytes: 56_000,
    files: 1,
    storageClass: 'STANDARD',
    engine: 'scan',
    kind: 'full',
    chain: ['20261123T120000Z-abcd'],
    ...overrides,
  };
}

describe('command inputs', () => {
  test('table and bucket names are checked as AWS does', () => {
    assert.equal(inputs.validateTableName('Orders-restored.2026_11'), undefined);
    assert.match(inputs.validateTableName('ab')!, /3 to 255/);
    assert.match(inputs.validateTableName('bad name')!, /letters, digits/);
    assert.equal(
      inputs.validateTableName(inputs.defaultRestoreName('Orders', new Date('2026-11-23T12:52:00Z'))),
      undefined,
    );
    assert.equal(
      inputs.defaultRestoreName('Orders', new Date('2026-11-23T12:52:00Z')),
      'Orders-restored-20261123-1252',
    );
    assert.equal(inputs.validateBucketName('acme-backups'), undefined);
    assert.ok(inputs.validateBucketName('Acme_Backups'));
  });

  test('commands take a tree node, a summary or a name', () => {
    const backup = summary();
    assert.equal(inputs.tableFromArgument('Orders'), 'Orders');
    assert.equal(inputs.tableFromArgument({ kind: 'table', name: 'Users' }), 'Users');
    assert.equal(inputs.backupFromArgument({ kind: 'backup', backup, locked: false }), backup);
    assert.equal(inputs.backupFromArgument(backup), backup);
    assert.equal(inputs.backupFromArgument({ kind: 'table', name: 'x' }), undefined);
    assert.equal(inputs.backupFromArgument('Orders'), undefined);
    assert.equal(inputs.backupFromArgument(undefined), undefined);
  });
  test("a backup's row commands are offered on backup rows, not on the table rows above them", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'extension', 'package.json'), 'utf8')) as {
      contributes: { menus: { 'view/item/context': { command: string; when: string }[] } };
    };
    const rowMatches = (when: string, contextValue: string): boolean => {
      const rule = /viewItem =~ \/(.+)\/$/.exec(when)?.[1];
      return rule ? new RegExp(rule).test(contextValue) : when.endsWith(`viewItem == ${contextValue}`);
    };
    const offered = (contextValue: string): string[] =>
      manifest.contributes.menus['view/item/context']
        .filter((m) => m.when.startsWith('view == coldkeep.backups') && rowMatches(m.when, contextValue))
        .map((m) => m.command);
    assert.ok(offered('backup').includes('coldkeep.restoreBackup'));
    assert.ok(offered('backup.locked').includes('coldkeep.verifyBackup'));
    assert.deepEqual(
      offered('backupTable').filter((c) =>
        ['coldkeep.restoreBackup', 'coldkeep.verifyBackup', 'coldkeep.deleteBackup'].includes(c),
      ),
      [],
    );
  });
});
