// The tree nodes of the Coldkeep views: backups grouped by table, labels and tooltips.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BackupSummary } from '@coldkeep/shared';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const nodes = require('coldkeep-vscode/out/views/nodes') as typeof import('coldkeep-vscode/out/views/nodes');
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

describe('tree nodes', () => {
  test('a backup shows date, items, size, storage class and lock state; locked ones cannot be deleted', () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const past = new Date(Date.now() - 86_400_000).toISOString();
    const locked = nodes.backupNodes({
      kind: 'backupTable',
      bucket: 'b',
      table: 'Orders',
      backups: [summary({ objectLock: { mode: 'COMPLIANCE', retainUntil: future } })],
    })[0]!;
    const view = nodes.viewOf(locked);
    assert.equal(view.contextValue, 'backup.locked');
    assert.match(view.description!, /^2026-11-23 12:00 UTC · 1,234 items · 56\.0 KB · STANDARD · locked$/);
    const expired = nodes.backupNodes({
      kind: 'backupTable',
      bucket: 'b',
      table: 'Orders',
      backups: [summary({ objectLock: { mode: 'GOVERNANCE', retainUntil: past } })],
    })[0]!;
    assert.equal(nodes.viewOf(expired).contextValue, 'backup');
    assert.match(String(nodes.viewOf(expired).tooltip), /\(ended\)/);
  });

  test('backups are grouped per table, newest first', () => {
    const grouped = nodes.groupByTable('b', [
      summary({ table: 'Users', backupId: '20261120T000000Z-0001', createdAt: '2026-11-20T00:00:00.000Z' }),
      summary({ backupId: '20261101T000000Z-0001', createdAt: '2026-11-01T00:00:00.000Z' }),
      summary({ backupId: '20261122T000000Z-0001', createdAt: '2026-11-22T00:00:00.000Z' }),
    ]);
    assert.deepEqual(
      grouped.map((n) => (n.kind === 'backupTable' ? [n.table, n.backups.map((b) => b.backupId.slice(0, 8))] : [])),
      [
        ['Orders', ['20261122', '20261101']],
        ['Users', ['20261120']],
      ],
    );
  });
});
