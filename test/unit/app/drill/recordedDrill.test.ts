// A drill is kept in the drill records however it ends, so no list shows an older pass after it.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CancelledError, DrillRecords, recordedDrill, type DrillResult } from '@coldkeep/shared';

const passed = (report: { ms: number }): DrillResult => ({
  status: 'succeeded',
  restoreMs: report.ms,
  summary: 'passed',
});

describe('recordedDrill', () => {
  const records = (): DrillRecords => new DrillRecords(join(mkdtempSync(join(tmpdir(), 'ck-drill-')), 'drills.json'));

  test('a finished drill is kept with its result, and becomes the last verified restore', async () => {
    const kept = records();
    const report = await recordedDrill(kept, 'table:Orders', () => Promise.resolve({ ms: 1200 }), passed);
    assert.deepEqual(report, { ms: 1200 });
    const status = await kept.status('table:Orders');
    assert.equal(status.last?.status, 'succeeded');
    assert.equal(status.last?.restoreMs, 1200);
    assert.equal(status.lastVerified?.at, status.last?.at);
  });

  test('a drill that throws is kept as failed, a cancelled one as cancelled; the older pass stays only as lastVerified', async () => {
    const kept = records();
    await recordedDrill(kept, 'folder:docs', () => Promise.resolve({ ms: 5 }), passed);
    await assert.rejects(
      recordedDrill(
        kept,
        'folder:docs',
        (): Promise<{ ms: number }> => Promise.reject(new Error('AccessDenied on GetObject')),
        passed,
      ),
      /AccessDenied/,
    );
    let status = await kept.status('folder:docs');
    assert.equal(status.last?.status, 'failed');
    assert.equal(status.last?.summary, 'AccessDenied on GetObject');
    assert.equal(status.lastVerified?.status, 'succeeded');

    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      recordedDrill(
        kept,
        'folder:docs',
        (): Promise<{ ms: number }> => Promise.reject(new CancelledError()),
        passed,
        controller.signal,
      ),
    );
    status = await kept.status('folder:docs');
    assert.equal(status.last?.status, 'cancelled');
  });
});
