import type { SessionStatus } from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import { showError } from '../jobs/runJob';

/** Coldkeep: Start MFA Session — asks for a code (even when a session is still valid: it renews). */
export async function startSessionCommand(app: ColdkeepApp): Promise<SessionStatus | undefined> {
  try {
    const connection = app.connection();
    const session = await connection.session();
    if (!session) {
      const profile = connection.aws.profile ?? process.env.AWS_PROFILE ?? 'default';
      void vscode.window.showInformationMessage(
        `Profile "${profile}" has no mfa_serial, so it needs no MFA session. Add mfa_serial to it in the AWS config file to use one.`,
      );
      return undefined;
    }
    const status = await session.start({ renew: true });
    await app.refreshSession();
    app.refreshViews();
    void vscode.window.showInformationMessage(
      `MFA session started for ${status.identity}, until ${new Date(status.expiresAt).toLocaleString()}.`,
    );
    return status;
  } catch (err) {
    await app.refreshSession();
    await showError(err, 'MFA session');
    return undefined;
  }
}

export async function clearSessionCommand(app: ColdkeepApp): Promise<boolean> {
  try {
    const session = await app.connection().session();
    if (!session) {
      void vscode.window.showInformationMessage('There is no MFA session to clear: the profile does not use MFA.');
      return false;
    }
    await session.clear();
    await app.refreshSession();
    void vscode.window.showInformationMessage(`Cleared the MFA session of "${session.profile}".`);
    return true;
  } catch (err) {
    await showError(err, 'Clear session');
    return false;
  }
}
