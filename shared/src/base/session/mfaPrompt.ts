/** Why a front end is asked for an MFA code. */
export type MfaPromptReason =
  /** No session yet (or `session start`). */
  | 'start'
  /** The cached session has expired or is about to. */
  | 'expired'
  /** The session ends before a long job would; asked before the job starts. */
  | 'outlive'
  /** STS rejected the previous code. */
  | 'rejected';

export interface MfaPromptRequest {
  profile: string;
  /** The MFA device's ARN (or serial number), to show the user which device. */
  mfaSerial: string;
  reason: MfaPromptReason;
  /** 1 for the first ask; higher after a rejected code. */
  attempt: number;
  /** For "outlive": how long the job is expected to take, and when the session ends. */
  neededMs?: number;
  expiresAt?: string;
}

/**
 * How a front end asks the user for an MFA code: the CLI on its terminal, VS Code with an
 * input box, the desktop app with a window. Resolves undefined when the user declines
 * (the job is then cancelled, not failed).
 */
export interface MfaPrompt {
  askCode(request: MfaPromptRequest, signal?: AbortSignal): Promise<string | undefined>;
}
