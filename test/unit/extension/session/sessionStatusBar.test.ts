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
    const bar = new statusBar.SessionStatusBar();
    bar.show(status, 'prod');
    assert.equal(fake.statusBar.visible, true);
    bar.show(undefined, undefined);
    assert.equal(fake.statusBar.visible, false, 'hidden for profiles without MFA');
    bar.dispose();
  });
});
