// The session status bar: who and until when, and the end of a session.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type SessionStatus } from '@coldkeep/shared';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const statusBar =
  require('coldkeep-vscode/out/session/sessionStatusBar') as typeof import('coldkeep-vscode/out/session/sessionStatusBar');
const connectionBar = require('coldkeep-vscode/out/ui/statusBar') as typeof import('coldkeep-vscode/out/ui/statusBar');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('session status bar', () => {
  test('the status bar shows who and until when, and the end of a session', () => {
    const now = new Date('2026-11-23T12:00:00Z');
    const status: SessionStatus = {
      profile: 'prod',
      mode: 'session-token',
      identity: 'IAM user alice in account 111122223333',
      mfaSerial: 'arn:aws:iam::111122223333:mfa/alice',
      expiresAt: '2026-11-23T20:00:00Z',
      remainingMs: 8 * 3600_000,
      expired: false,
      source: 'sts',
    };
    const live = statusBar.sessionLabel(status, 'prod', now);
    assert.match(live.text, /prod until/);
    assert.match(live.tooltip, /alice/);
    assert.equal(live.expired, false);
    assert.equal(statusBar.sessionLabel({ ...status, expired: true }, 'prod', now).expired, true);
    assert.match(statusBar.sessionLabel(undefined, 'prod', now).text, /no MFA session/);
    const bar = new connectionBar.ConnectionStatusBar();
    const live2 = { ...status, expiresAt: new Date(Date.now() + 3600_000).toISOString() };
    bar.show({ ready: true, demo: false, profile: 'prod', region: 'eu-west-1', session: { status: live2 } });
    assert.equal(fake.statusBar.visible, true);
    assert.match(bar.text!, /prod until .* · eu-west-1/);
    bar.show({ ready: true, demo: false, profile: 'dev', region: 'us-east-2' });
    assert.equal(bar.text, '$(cloud) dev · us-east-2', 'a profile without MFA shows profile and region');
    bar.show({ ready: false, demo: false, profile: 'default', region: 'us-east-1' });
    assert.equal(fake.statusBar.visible, false, 'hidden until AWS is set up');
    bar.dispose();
  });
});
