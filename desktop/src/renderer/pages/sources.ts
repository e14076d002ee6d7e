import { ageText, durationText } from '@coldkeep/shared/browser';
import type { Source, SourceState, SourceStatus, SourceView, StatusOverview } from '../../ipc';
import { busy, errorBox, h, replaceChildren, table, when } from '../dom';
import type { Page } from './page';

const STATE_WORDS: Record<SourceState, string> = {
  protected: 'Protected',
  attention: 'Needs attention',
  failing: 'Failing',
};

/** The core's state and why, coloured by state (never the success colour for anything but protected). */
function stateCell(status: SourceStatus): HTMLElement {
  const why = status.reasons.map((r) => r.text).join(', ');
  return h(
    'span',
    { class: `state ${status.state}`, title: why || 'backed up on time, and a restore drill passed' },
    STATE_WORDS[status.state],
    why ? h('span', { class: 'reasons' }, `: ${why}`) : null,
    h(
      'div',
      { class: 'last-good muted' },
      status.lastGoodBackupAt
        ? `last good backup ${ageText(Date.now() - Date.parse(status.lastGoodBackupAt))} ago`
        : 'no good backup yet',
    ),
  );
}

/** The last verified restore and its measured restore time, "never verified", and a failed last drill. */
function verifiedCell(status: SourceStatus): HTMLElement {
  const verified = status.lastVerified;
  const drill = status.lastDrill;
  return h(
    'span',
    { class: `verified ${status.drillProblem ? 'failed' : verified ? '' : 'never'}`.trim() },
    verified
      ? `${when(verified.at)} · restore ${verified.restoreMs !== undefined ? durationText(verified.restoreMs) : 'time not measured'}`
      : 'never verified',
    drill && drill.status !== 'succeeded'
      ? h('div', {}, `last drill ${drill.status} ${when(drill.at)}: ${drill.summary}`)
      : null,
  );
}

/** The answer to "is everything protected?", above the list. */
function overallLine(overview: StatusOverview): HTMLElement {
  const { overall, sources } = overview;
  const which = sources.filter((s) => s.status.state === overall).map((s) => `${s.status.name} (${s.status.headline})`);
  const text =
    sources.length === 0
      ? 'Nothing is protected yet: add a source.'
      : overall === 'protected'
        ? `Everything is protected: ${sources.length} source${sources.length === 1 ? '' : 's'} backed up on time, each restore verified.`
        : `${STATE_WORDS[overall]}: ${which.join('; ')}.`;
  return h('p', { id: 'overall-status', class: `state ${sources.length ? overall : 'attention'}` }, text);
}

function lastRunText(view: SourceView): string {
  if (view.running) return 'running…';
  if (!view.lastRun) return 'never run';
  const run = view.lastRun;
  if (run.status === 'succeeded') return `succeeded ${when(run.finishedAt)}`;
  if (run.status === 'partial') return `INCOMPLETE ${when(run.finishedAt)}: ${run.result?.incomplete ?? ''}`;
  return `${run.status} ${when(run.finishedAt)}: ${run.error?.message ?? ''}`;
}

/** The kind column, with a table's engine when it is not the default. */
function kindText(source: Source): string {
  if (source.drill) return `${source.kind} drill`;
  if (source.kind !== 'table' || (!source.engine && !source.incremental)) return source.kind;
  return `table (${source.incremental ? 'incremental ' : ''}${source.engine ?? 'auto'})`;
}

export const sourcesPage: Page = async (root, api) => {
  const status = h('div', { class: 'status', id: 'sources-status' });
  const overall = h('div', { id: 'overall' });
  const list = h('div', { id: 'source-list' });
  const tableSelect = h(
    'select',
    { id: 'table-select', 'aria-label': 'Table' },
    h('option', { value: '' }, 'Loading tables…'),
  );
  const engineSelect = h(
    'select',
    { id: 'engine-select', 'aria-label': 'Table backup engine' },
    h('option', { value: 'auto' }, 'auto engine'),
    h('option', { value: 'scan' }, 'scan'),
    h('option', { value: 'export' }, 'export (needs PITR)'),
    h('option', { value: 'incremental' }, 'incremental export (needs PITR)'),
  );
  const cronInput = h('input', { id: 'new-cron', placeholder: '0 2 * * *', 'aria-label': 'Schedule (cron)' });

  const draw = async (): Promise<void> => {
    try {
      const [views, overview] = await Promise.all([api.listSources(), api.getStatus({})]);
      replaceChildren(overall, overallLine(overview));
      if (views.length === 0)
        return replaceChildren(list, h('p', { class: 'muted' }, 'No sources yet: add a folder or pick a table.'));
      replaceChildren(
        list,
        table(
          ['Source', 'Kind', 'Schedule', 'Next run', 'Last run', 'Status', 'Last verified restore', ''],
          views.map((view) => {
            const runButton = h(
              'button',
              { class: 'run-source', 'data-source': view.source.id, disabled: view.running },
              view.source.drill ? 'Drill Now' : 'Back Up Now',
            );
            const removeButton = h('button', { class: 'secondary' }, 'Remove');
            runButton.addEventListener(
              'click',
              () =>
                void busy(runButton, status, async () => {
                  await api.backUpNow({ sourceId: view.source.id });
                  await draw();
                }),
            );
            removeButton.addEventListener(
              'click',
              () =>
                void busy(removeButton, status, async () => {
                  await api.removeSource({ id: view.source.id });
                  await draw();
                }),
            );
            return [
              h('span', { class: 'source-name' }, view.source.name),
              document.createTextNode(kindText(view.source)),
              h('code', {}, view.source.cron),
              document.createTextNode(when(view.nextRunAt)),
              h('span', { class: `last-run ${view.lastRun?.status ?? ''}` }, lastRunText(view)),
              stateCell(view.status),
              verifiedCell(view.status),
              h('span', {}, runButton, ' ', removeButton),
            ];
          }),
          { id: 'sources-table' },
        ),
      );
    } catch (err) {
      replaceChildren(list, errorBox(err));
    }
  };

  const cron = (): { cron?: string } => (cronInput.value.trim() ? { cron: cronInput.value.trim() } : {});
  const addFolder = h('button', { id: 'add-folder' }, 'Add Folder…');
  addFolder.addEventListener(
    'click',
    () =>
      void busy(addFolder, status, async () => {
        const { dir } = await api.pickFolder();
        if (!dir) return;
        await api.addSource({ kind: 'folder', dir, ...cron() });
        await draw();
      }),
  );
  const addTable = h('button', { id: 'add-table' }, 'Add Table');
  addTable.addEventListener(
    'click',
    () =>
      void busy(addTable, status, async () => {
        if (!tableSelect.value) throw new Error('Pick a table first.');
        const incremental = engineSelect.value === 'incremental';
        const engine = incremental ? 'export' : (engineSelect.value as 'auto' | 'scan' | 'export');
        await api.addSource({
          kind: 'table',
          table: tableSelect.value,
          engine,
          ...(incremental ? { incremental } : {}),
          ...cron(),
        });
        await draw();
      }),
  );

  replaceChildren(
    root,
    h('h2', {}, 'Sources'),
    h('p', { class: 'muted' }, 'Folders on this machine and DynamoDB tables, each backed up on its own schedule.'),
    h(
      'div',
      { class: 'toolbar' },
      addFolder,
      h('span', {}, ' or '),
      tableSelect,
      engineSelect,
      addTable,
      h('label', {}, ' schedule ', cronInput),
    ),
    overall,
    status,
    list,
  );
  api
    .listTables()
    .then((tables) =>
      replaceChildren(
        tableSelect,
        h('option', { value: '' }, tables.length ? 'Pick a table…' : 'No tables in this account/region'),
        ...tables.map((t) => h('option', { value: t }, t)),
      ),
    )
    .catch((err: unknown) => {
      replaceChildren(tableSelect, h('option', { value: '' }, 'Tables unavailable'));
      replaceChildren(status, errorBox(err));
    });
  await draw();
  const timer = setInterval(() => void draw(), 3000);
  return () => clearInterval(timer);
};
