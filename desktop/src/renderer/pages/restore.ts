import { busy, errorBox, h, replaceChildren, when } from '../dom';
import type { Page } from './page';

export const restorePage: Page = async (root, api) => {
  const status = h('div', { class: 'status', id: 'restore-status' });
  const sourceSelect = h('select', { id: 'restore-source', 'aria-label': 'Source' });
  const pointSelect = h('select', { id: 'restore-point', 'aria-label': 'Backup or snapshot' });
  const target = h('input', {
    id: 'restore-target',
    'aria-label': 'Restore into',
    placeholder: 'table name, or a folder',
  });
  const overwrite = h('input', { type: 'checkbox', id: 'restore-overwrite' });
  const pickTarget = h('button', { class: 'secondary', id: 'restore-pick-folder' }, 'Choose Folder…');
  const run = h('button', { id: 'restore-run' }, 'Restore');
  // Shown while a restore runs; the restore then fails with what it had written, and says so.
  const cancel = h('button', { class: 'secondary', id: 'restore-cancel', hidden: true }, 'Cancel Restore');
  const result = h('div', { id: 'restore-result' });

  const loadPoints = async (): Promise<void> => {
    replaceChildren(pointSelect);
    if (!sourceSelect.value) return;
    try {
      const points = await api.listRestorePoints({ sourceId: sourceSelect.value });
      replaceChildren(
        pointSelect,
        ...(points.length
          ? points.map((p) => h('option', { value: p.id }, `${when(p.createdAt)} — ${p.summary} (${p.id})`))
          : [h('option', { value: '' }, 'No backups yet')]),
      );
    } catch (err) {
      replaceChildren(status, errorBox(err));
    }
  };
  sourceSelect.addEventListener('change', () => void loadPoints());
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    void api
      .cancelRestore({ sourceId: cancel.dataset.source ?? '' })
      .catch((err: unknown) => replaceChildren(status, errorBox(err)))
      .finally(() => (cancel.disabled = false));
  });
  pickTarget.addEventListener(
    'click',
    () =>
      void busy(pickTarget, status, async () => {
        const { dir } = await api.pickFolder();
        if (dir) target.value = dir;
      }),
  );
  run.addEventListener(
    'click',
    () =>
      void busy(run, status, async () => {
        replaceChildren(result);
        const sourceId = sourceSelect.value;
        cancel.dataset.source = sourceId;
        cancel.hidden = false;
        const done = await api
          .restore({ sourceId, restorePoint: pointSelect.value, target: target.value, overwrite: overwrite.checked })
          .finally(() => (cancel.hidden = true));
        replaceChildren(
          result,
          h('p', { class: 'ok' }, `Restored: ${done.summary}`),
          h('pre', { class: 'report' }, JSON.stringify(done.report, null, 2)),
        );
      }),
  );

  replaceChildren(
    root,
    h('h2', {}, 'Restore'),
    h(
      'p',
      { class: 'muted' },
      'Pick a source, then one of its backups (tables) or snapshots (folders), then where to restore it.',
    ),
    h(
      'div',
      { class: 'form' },
      h('label', {}, 'Source ', sourceSelect),
      h('label', {}, 'Backup ', pointSelect),
      h('label', {}, 'Into ', target, ' ', pickTarget),
      h('label', {}, overwrite, ' Write into a target that is not empty'),
      h('div', { class: 'toolbar' }, run, cancel),
    ),
    status,
    result,
  );
  try {
    const views = await api.listSources();
    replaceChildren(
      sourceSelect,
      h('option', { value: '' }, 'Pick a source…'),
      ...views.map((v) => h('option', { value: v.source.id }, `${v.source.name} (${v.source.kind})`)),
    );
  } catch (err) {
    replaceChildren(status, errorBox(err));
  }
};
