// The MFA code prompt: 6 digits only, Escape gives undefined.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const mfa =
  require('coldkeep-vscode/out/session/inputBoxMfaPrompt') as typeof import('coldkeep-vscode/out/session/inputBoxMfaPrompt');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('MFA prompt', () => {
  test('the input box accepts 6 digits only, and says why it asks', () => {
    assert.equal(mfa.validateMfaCode('123456'), undefined);
    assert.equal(mfa.validateMfaCode(' 123456 '), undefined);
    assert.match(mfa.validateMfaCode('12345')!, /6 digits/);
    assert.match(mfa.validateMfaCode('12a456')!, /6 digits/);
    const request = { profile: 'prod', mfaSerial: 'arn:aws:iam::111122223333:mfa/alice', attempt: 1 };
    assert.match(mfa.promptText({ ...request, reason: 'start' }), /6-digit MFA code from alice for profile "prod"/);
    assert.match(mfa.promptText({ ...request, reason: 'expired' }), /has ended/);
    assert.match(mfa.promptText({ ...request, reason: 'rejected', attempt: 2 }), /rejected/);
  });

  test('the prompt returns the code, or undefined on Escape', async () => {
    const prompt = new mfa.InputBoxMfaPrompt();
    const request = { profile: 'prod', mfaSerial: 'arn:aws:iam::1:mfa/a', attempt: 1, reason: 'start' as const };
    fake.answers.push(' 654321 ', undefined);
    assert.equal(await prompt.askCode(request), '654321');
    assert.equal(await prompt.askCode(request), undefined);
    fake.answers.push('12');
    await assert.rejects(prompt.askCode(request), /would not be accepted/);
  });
});
