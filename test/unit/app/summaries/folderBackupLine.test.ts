// A folder backup in one line: a partial one is INCOMPLETE, never "Backed up"; the details list what was left out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { partialDocsBackupReport } from '../../../helpers/folderBackupReport';
import { folderBackupDetails, folderBackupLine } from '@coldkeep/shared';

describe('folderBackupLine', () => {
  test('a partial backup is INCOMPLETE with where to see the paths; a success counts what changed while read', () => {
    const report = partialDocsBackupReport();
    const summary = folderBackupLine(report, 'the Coldkeep output');
    assert.match(summary, /^Backup of \/data\/docs INCOMPLETE: 1 folder not backed up/);
    assert.match(summary, /\(see the Coldkeep output\)/);
    assert.doesNotMatch(summary, /Backed up/);
    assert.match(
      folderBackupLine({ ...report, status: 'succeeded', skipped: [] }, 'the Coldkeep output'),
      /^Backed up .*1 changed while read: see the Coldkeep output\)\.$/,
    );
    const details = folderBackupDetails(report);
    assert.ok(
      details.some((line) => line.includes('private') && /cannot list the folder/.test(line)),
      details.join('\n'),
    );
    assert.ok(
      details.some((line) => /Let user nobody/.test(line)),
      details.join('\n'),
    );
  });
});
