// The CLI's side of sessions: the terminal prompt, and link-expiry parsing. (Which credentials a
// command gets is the Connection's: test/unit/app/connection.test.ts.)
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { TerminalMfaPrompt } from '@coldkeep/shared/dist/cli/commands/sessionPrompt';
import { parseLinkExpiry } from '@coldkeep/shared/dist/cli/notifyOptions';

describe('the terminal prompt', () => {
  const request = { profile: 'p', mfaSerial: 'arn:aws:iam::1:mfa/a', reason: 'expired' as const, attempt: 1 };

  test('asks on the output stream, says why, and returns what was typed', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => (shown += d.toString()));
    const answer = new TerminalMfaPrompt(input, output).askCode(request);
    input.write('123456\n');
    assert.equal(await answer, '123456');
    assert.match(shown, /Your MFA session has expired\. MFA code for arn:aws:iam::1:mfa\/a \(profile p\): /);
  });

  test('end of input (Ctrl-D) declines', async () => {
    const input = new PassThrough();
    const answer = new TerminalMfaPrompt(input, new PassThrough()).askCode(request);
    input.end();
    assert.equal(await answer, undefined);
  });
});

describe('--link-expires', () => {
  test('takes 90m, 36h, 7d or seconds, from a minute to 7 days', () => {
    assert.equal(parseLinkExpiry('90m'), 5400);
    assert.equal(parseLinkExpiry('36h'), 129600);
    assert.equal(parseLinkExpiry('7d'), 604800);
    assert.equal(parseLinkExpiry('600'), 600);
    assert.throws(() => parseLinkExpiry('8d'), /7 days/);
    assert.throws(() => parseLinkExpiry('30s'), /1 minute/);
    assert.throws(() => parseLinkExpiry('soon'), /duration/);
  });
});
