import { busy, errorBox, h, replaceChildren, table, when } from '../dom';
import type { Page } from './page';

export const schedulesPage: Page = async (root, api) => {
  const status = h('div', { class: 'status' });
  const body = h('div');
  const draw = async (): Promise<void> => {
    try {
      const [views, schedule] = await Promise.all([api.listSources(), api.scheduleStatus()]);
      const pause = h('button', { id: 'toggle-pause' }, schedule.paused ? 'Resume Schedules' : 'Pause Schedules');
      pause.addEventListener(
        'click',
        () =>
          void busy(pause, status, async () => {
            await api.setPaused({ paused: !schedule.paused });
            await draw();
          }),
      );
      const all = h('button', { id: 'back-up-all', disabled: views.length === 0 }, 'Back Up All Now');
      all.addEventListener(
        'click',
        () =>
          void busy(all, status, async () => {
            await api.backUpNow({});
            await draw();
          }),
      );
      replaceChildren(
        body,
        h(
          'div',
          { class: 'toolbar' },
          pause,
          all,
          h(
            'span',
            { class: 'muted' },
            schedule.paused ? ' Schedules are paused.' : ` ${schedule.running.length} running.`,
          ),
        ),
        table(
          ['Source', 'Cron', 'Enabled', 'Next run', ''],
          views.map((view) => {
            const cron = h('input', { value: view.source.cron, 'aria-label': `Schedule of ${view.source.name}` });
            const enabled = h('input', { type: 'checkbox', checked: view.source.enabled, 'aria-label': 'Enabled' });
            const save = h('button', {}, 'Save');
            save.addEventListener(
              'click',
              () =>
                void busy(save, status, async () => {
                  await api.updateSource({ id: view.source.id, cron: cron.value, enabled: enabled.checked });
                  await draw();
                }),
            );
            return [
              document.createTextNode(view.source.name),
              cron,
              enabled,
              document.createTextNode(when(view.nextRunAt)),
              save,
            ];
          }),
        ),
        h(
          'p',
          { class: 'muted' },
          'Cron: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" (02:00 nightly), "0 */6 * * *" (every 6 hours). Runs missed while the computer slept run once when it wakes.',
        ),
      );
    } catch (err) {
      replaceChildren(body, errorBox(err));
    }
  };
  replaceChildren(root, h('h2', {}, 'Schedules'), status, body);
  await draw();
};
