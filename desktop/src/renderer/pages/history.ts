import { jobOutcome } from '@coldkeep/shared/browser';
import type { RunRecord } from '../../ipc';
import { errorBox, h, replaceChildren, table, when } from '../dom';
import type { Page } from './page';

/** A table run's engine, e.g. "export (incremental): asked for the export engine", when its report says. */
function engineText(run: RunRecord): string | undefined {
  const report = run.result?.report;
  if (typeof report?.engine !== 'string') return undefined;
  const kind = report.kind === 'incremental' ? ' (incremental)' : '';
  const reason = typeof report.engineReason === 'string' ? `: ${report.engineReason}` : '';
  return `${report.engine}${kind}${reason}`;
}

/** A partial run: each path not backed up, why, and what to do (the core's outcome of its report). */
function leftOutList(run: RunRecord): HTMLElement | null {
  if (run.status !== 'partial' || !run.result) return null;
  const outcome = jobOutcome(run.result.report as Parameters<typeof jobOutcome>[0]);
  return h(
    'section',
    { class: 'left-out warning' },
    h('h4', {}, `INCOMPLETE: ${run.result.incomplete ?? outcome.headline ?? 'not everything was backed up'}`),
    h(
      'ul',
      {},
      ...outcome.missing.map((m) =>
        h('li', {}, `${m.path}${m.entry === 'folder' ? '/' : ''} — ${m.reason}. ${m.whatToDo ?? ''}`.trim()),
      ),
    ),
  );
}

function details(run: RunRecord): HTMLElement {
  const engine = engineText(run);
  return h(
    'section',
    { id: 'run-details', class: 'details' },
    h('h3', {}, `${run.sourceName} — ${run.status}`),
    h(
      'dl',
      {},
      h('dt', {}, 'Started'),
      h('dd', {}, when(run.startedAt)),
      h('dt', {}, 'Took'),
      h('dd', {}, `${(run.durationMs / 1000).toFixed(1)} s, ${run.attempts} ${run.attempts === 1 ? 'try' : 'tries'}`),
      h('dt', {}, 'Trigger'),
      h('dd', {}, run.trigger + (run.scheduledFor ? ` (scheduled ${when(run.scheduledFor)})` : '')),
      run.result ? h('dt', {}, 'Result') : null,
      run.result ? h('dd', {}, run.result.summary) : null,
      engine ? h('dt', {}, 'Engine') : null,
      engine ? h('dd', { class: 'engine' }, engine) : null,
      run.result?.restorePoint ? h('dt', {}, 'Restore point') : null,
      run.result?.restorePoint ? h('dd', { class: 'restore-point' }, run.result.restorePoint) : null,
    ),
    leftOutList(run),
    run.error ? errorBox(Object.assign(new Error(run.error.message), run.error)) : null,
    run.result ? h('pre', { class: 'report' }, JSON.stringify(run.result.report, null, 2)) : null,
  );
}

export const historyPage: Page = async (root, api, args) => {
  const detail = h('div');
  const list = h('div', { id: 'history-list' });
  replaceChildren(root, h('h2', {}, 'History'), list, detail);
  try {
    const runs = await api.listHistory({ limit: 200 });
    if (runs.length === 0) replaceChildren(list, h('p', { class: 'muted' }, 'No runs yet.'));
    else
      replaceChildren(
        list,
        table(
          ['Started', 'Source', 'Status', 'Result'],
          runs.map((run) => {
            const link = h(
              'a',
              { href: `#history/${encodeURIComponent(run.runId)}`, class: 'run-link' },
              when(run.startedAt),
            );
            return [
              link,
              document.createTextNode(run.sourceName),
              h('span', { class: `run-status ${run.status}` }, run.status),
              document.createTextNode(run.result?.summary ?? run.error?.message ?? ''),
            ];
          }),
          { id: 'history-table' },
        ),
      );
    const selected = args[0] ? decodeURIComponent(args[0]) : undefined;
    if (selected) replaceChildren(detail, details(await api.getRun({ runId: selected })));
  } catch (err) {
    replaceChildren(list, errorBox(err));
  }
};
