import { AwsClients, createDemoData, DEMO_BUCKET, DEMO_TABLE, startEmulators } from '@coldkeep/shared';
import * as vscode from 'vscode';
import type { ColdkeepApp } from '../app';
import { runJob, showError } from '../jobs/runJob';

const DEMO_ITEMS = 500;

/**
 * Coldkeep: Start Local Demo — starts the embedded emulators (dynalite, s3rver, SES) on
 * loopback, creates the demo bucket and a studentData table, and points the views at them
 * until the demo is stopped (or VS Code closes). Nothing touches AWS.
 */
export async function startDemoCommand(app: ColdkeepApp): Promise<boolean> {
  if (app.demoRunning) {
    void vscode.window.showInformationMessage('The local demo is already running.');
    return true;
  }
  try {
    const started = await runJob('Starting the local demo', async (signal, report) => {
      report({ message: 'Starting local DynamoDB, S3 and SES…' });
      const emulators = await startEmulators();
      const clients = new AwsClients(emulators.settings);
      try {
        report({ message: `Creating ${DEMO_TABLE} with ${DEMO_ITEMS} students…` });
        await createDemoData(clients, DEMO_ITEMS, signal);
      } catch (err) {
        clients.destroy();
        await emulators.stop();
        throw err;
      }
      clients.destroy();
      return emulators;
    });
    if (!started) return false;
    await app.useDemo({ settings: started.settings, bucket: DEMO_BUCKET, stop: () => started.stop() });
    app.output.appendLine(
      `Local demo: DynamoDB ${started.endpoints.dynamodb}, S3 ${started.endpoints.s3}, data in ${started.dataDir}`,
    );
    void vscode.window
      .showInformationMessage(
        `The local demo is running: table ${DEMO_TABLE}, bucket ${DEMO_BUCKET}.`,
        'Back Up studentData',
      )
      .then((choice) => choice && vscode.commands.executeCommand('coldkeep.backupTable', DEMO_TABLE));
    return true;
  } catch (err) {
    await showError(err, 'Local demo');
    return false;
  }
}

export async function stopDemoCommand(app: ColdkeepApp): Promise<void> {
  await app.useDemo(undefined);
  void vscode.window.showInformationMessage('The local demo has stopped; Coldkeep uses your settings again.');
}
