import { createInterface } from 'node:readline/promises';
import type { MfaPrompt, MfaPromptRequest } from '../../base/session/mfaPrompt';
import { formatDuration } from '../format';

function why(request: MfaPromptRequest): string {
  switch (request.reason) {
    case 'expired':
      return 'Your MFA session has expired. ';
    case 'outlive':
      return (
        `The MFA session ends ${request.expiresAt ? `at ${request.expiresAt}` : 'soon'}, before this job would ` +
        `(about ${formatDuration(request.neededMs ?? 0)}); a new one is started first. `
      );
    case 'rejected':
      return 'AWS rejected that code; wait for the next one. ';
    default:
      return '';
  }
}

/** Asks for the code on the terminal (stderr, so --json output on stdout stays clean). */
export class TerminalMfaPrompt implements MfaPrompt {
  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stderr,
  ) {}

  async askCode(request: MfaPromptRequest, signal?: AbortSignal): Promise<string | undefined> {
    const rl = createInterface({ input: this.input, output: this.output, terminal: true });
    // Ctrl-C or Ctrl-D at the prompt: the user declines, and the command is cancelled.
    const declined = new Promise<undefined>((resolve) => {
      rl.once('SIGINT', () => resolve(undefined));
      rl.once('close', () => resolve(undefined));
    });
    try {
      const question = `${why(request)}MFA code for ${request.mfaSerial} (profile ${request.profile}): `;
      const answered = rl.question(question, signal ? { signal } : {}).catch(() => undefined);
      return await Promise.race([answered, declined]);
    } finally {
      rl.close();
    }
  }
}
