import type { AppSettings, SettingsView } from '../../ipc';
import { busy, errorBox, h, replaceChildren, when } from '../dom';
import type { Page } from './page';

function text(
  id: string,
  label: string,
  value: string | undefined,
  placeholder: string,
): [HTMLLabelElement, HTMLInputElement] {
  const input = h('input', { id, value: value ?? '', placeholder });
  return [h('label', { class: 'field' }, h('span', { class: 'field-name' }, label), input), input];
}

function choice<T extends string>(
  id: string,
  label: string,
  value: T,
  options: [T, string][],
): [HTMLLabelElement, HTMLSelectElement] {
  const select = h('select', { id }, ...options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  return [h('label', { class: 'field' }, h('span', { class: 'field-name' }, label), select), select];
}

export const settingsPage: Page = async (root, api) => {
  const status = h('div', { class: 'status', id: 'settings-status' });
  const sessionBox = h('div', { id: 'session-box' });
  const demoBox = h('div', { id: 'demo-box' });
  let view: SettingsView;
  try {
    view = await api.getSettings();
  } catch (err) {
    replaceChildren(root, errorBox(err));
    return;
  }
  const s = view.settings;
  const [profileLabel, profile] = text('settings-profile', 'AWS profile', s.profile, 'default');
  const [regionLabel, region] = text('settings-region', 'Region', s.region, 'us-east-1');
  const [bucketLabel, bucket] = text('settings-bucket', 'Bucket', s.bucket, 'my-coldkeep-backups');
  const [prefixLabel, prefix] = text('settings-prefix', 'Key prefix', s.prefix, 'coldkeep');
  const [notifyLabel, notify] = choice('settings-notifications', 'Notifications', s.notifications, [
    ['all', 'Every run'],
    ['failures', 'Failures only'],
    ['none', 'None'],
  ]);
  const [quitLabel, quit] = choice('settings-quit', 'Quitting during a backup', s.quitDuringJob, [
    ['ask', 'Ask'],
    ['cancel', 'Cancel the backup'],
    ['wait', 'Wait for it'],
  ]);
  const login = h('input', { type: 'checkbox', id: 'settings-login', checked: s.startAtLogin });
  const save = h('button', { id: 'settings-save' }, 'Save');
  save.addEventListener(
    'click',
    () =>
      void busy(save, status, async () => {
        const change: Partial<Omit<AppSettings, 'demoMode'>> = {
          profile: profile.value,
          region: region.value,
          bucket: bucket.value,
          prefix: prefix.value,
          notifications: notify.value as AppSettings['notifications'],
          quitDuringJob: quit.value as AppSettings['quitDuringJob'],
          startAtLogin: login.checked,
        };
        view = await api.saveSettings(change);
        replaceChildren(status, h('span', { class: 'ok' }, 'Saved.'));
        await drawSession();
      }),
  );

  const dialog = h('dialog', { id: 'mfa-dialog' });
  const code = h('input', {
    id: 'mfa-code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    maxlength: 6,
    pattern: '\\d{6}',
    'aria-label': 'MFA code',
  });
  const dialogStatus = h('div', { class: 'status' });
  const submit = h('button', { id: 'mfa-submit' }, 'Start Session');
  const cancel = h('button', { class: 'secondary', type: 'button' }, 'Cancel');
  cancel.addEventListener('click', () => dialog.close());
  submit.addEventListener(
    'click',
    () =>
      void busy(submit, dialogStatus, async () => {
        await api.startSession({ code: code.value.trim() });
        code.value = '';
        dialog.close();
        await drawSession();
      }),
  );
  replaceChildren(
    dialog,
    h('h3', {}, 'MFA code'),
    h('p', {}, 'The 6 digits your authenticator shows now.'),
    code,
    h('div', { class: 'toolbar' }, submit, cancel),
    dialogStatus,
  );

  const drawSession = async (): Promise<void> => {
    try {
      const session = await api.sessionStatus();
      const enter = h('button', { id: 'mfa-open' }, 'Enter MFA Code…');
      enter.addEventListener('click', () => {
        replaceChildren(dialogStatus);
        dialog.showModal();
        code.focus();
      });
      replaceChildren(
        sessionBox,
        h('p', {}, `Profile: ${session.profile}`),
        h('p', { id: 'mfa-device' }, `MFA device: ${session.mfaDevice ?? 'none'}`),
        session.problem ? h('p', { class: 'muted' }, session.problem) : null,
        session.session
          ? h(
              'p',
              {},
              `Session ${session.session.valid ? 'valid until' : 'expired at'} ${when(session.session.expiresAt)}`,
            )
          : null,
        view.secretStorage.available
          ? null
          : h(
              'p',
              { class: 'warning', id: 'secrets-unavailable' },
              `Sessions are not saved: ${view.secretStorage.reason ?? 'no encryption'}.`,
            ),
        session.mfaDevice ? enter : null,
      );
    } catch (err) {
      replaceChildren(sessionBox, errorBox(err));
    }
  };

  const drawDemo = (): void => {
    const on = Boolean(view.settings.demoMode);
    const toggle = h('button', { id: 'demo-toggle' }, on ? 'Stop Demo Mode' : 'Start Demo Mode');
    toggle.addEventListener(
      'click',
      () =>
        void busy(toggle, status, async () => {
          view = await api.setDemoMode({ enabled: !on });
          drawDemo();
        }),
    );
    replaceChildren(
      demoBox,
      h(
        'p',
        { class: 'muted' },
        'Demo mode runs local emulators of DynamoDB, S3 and SES on this machine, with a sample table, so everything can be tried without an AWS account.',
      ),
      view.demo
        ? h('p', { id: 'demo-state' }, `Demo mode is on: bucket ${view.demo.bucket}, table ${view.demo.table}.`)
        : h('p', { id: 'demo-state' }, 'Demo mode is off.'),
      toggle,
    );
  };

  replaceChildren(
    root,
    h('h2', {}, 'Settings'),
    h(
      'section',
      { class: 'form' },
      profileLabel,
      regionLabel,
      bucketLabel,
      prefixLabel,
      notifyLabel,
      quitLabel,
      h('label', {}, login, ' Start Coldkeep at login'),
      save,
    ),
    status,
    h('h3', {}, 'MFA'),
    sessionBox,
    h('h3', {}, 'Demo mode'),
    demoBox,
    dialog,
  );
  drawDemo();
  await drawSession();
};
