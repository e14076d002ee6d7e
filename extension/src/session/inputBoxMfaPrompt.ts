import { checkMfaCode, type MfaPrompt, type MfaPromptRequest } from '@coldkeep/shared';
import * as vscode from 'vscode';

/** Why the code is asked, in the words of the input box. */
export function promptText(request: MfaPromptRequest): string {
  const device = request.mfaSerial.split('/').pop() ?? request.mfaSerial;
  switch (request.reason) {
    case 'expired':
      return `The MFA session of profile "${request.profile}" has ended. Enter a new code from ${device}.`;
    case 'outlive':
      return `The MFA session ends at ${request.expiresAt ?? '?'}, before this job would finish. Enter a code from ${device} to renew it first.`;
    case 'rejected':
      return `AWS rejected that code (attempt ${request.attempt}). Wait for the next code from ${device}.`;
    default:
      return `Enter the 6-digit MFA code from ${device} for profile "${request.profile}".`;
  }
}

/** The input box's check: a message while the text is not 6 digits, nothing when it is. */
export function validateMfaCode(value: string): string | undefined {
  if (!value.trim()) return undefined;
  try {
    checkMfaCode(value);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Asks for MFA codes with an input box; Escape declines (the job is cancelled, not failed). */
export class InputBoxMfaPrompt implements MfaPrompt {
  /** Told after each answer, so the status bar can follow. */
  onAnswered?: () => void;

  async askCode(request: MfaPromptRequest, signal?: AbortSignal): Promise<string | undefined> {
    const cancel = new vscode.CancellationTokenSource();
    const onAbort = (): void => cancel.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const code = await vscode.window.showInputBox(
        {
          title: `Coldkeep: MFA code for ${request.profile}`,
          prompt: promptText(request),
          placeHolder: '123456',
          ignoreFocusOut: true,
          password: false,
          validateInput: (value) => validateMfaCode(value) ?? (value.trim() ? undefined : 'An MFA code is 6 digits.'),
        },
        cancel.token,
      );
      return code === undefined ? undefined : checkMfaCode(code);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      cancel.dispose();
      this.onAnswered?.();
    }
  }
}
