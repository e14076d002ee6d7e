// The desktop app's stacks service (stacksFrom, over the core's StackService): what the window gets
// from the catalogue, and a deployment's record as the window polls it. (The preview and Deploy
// checked against it are the core's: test/unit/app/stacks/stackService.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type StackChange, templateNames } from '@coldkeep/shared';
import type { Deployment } from 'coldkeep-desktop/dist/ipc';
import { recordProgress } from 'coldkeep-desktop/dist/main/coldkeepApp';
import { stacksFrom } from 'coldkeep-desktop/dist/main/stacksService';

const STACK = 'coldkeep-backup-bucket';

describe('stacksFrom: the desktop stacks service', () => {
  test('lists the bundled templates as the picker needs them, and their parameters and problems as the core gives them', async () => {
    const stacks = stacksFrom();
    assert.equal(stacks.available, true);
    const templates = await stacks.listTemplates();
    assert.deepEqual(
      templates.map((t) => t.name),
      templateNames(),
    );
    const schedule = templates.find((t) => t.name === 'table-backup-schedule')!;
    assert.deepEqual(Object.keys(schedule).sort(), ['defaultStackName', 'description', 'name', 'needsLambdaBundle']);
    assert.equal(schedule.needsLambdaBundle, true);
    assert.equal(schedule.defaultStackName, 'coldkeep-table-backup-schedule');

    const parameters = await stacks.templateParameters('table-backup-schedule');
    assert.equal(parameters.find((p) => p.name === 'CodeKey')?.filledByDeploy, true);
    assert.equal(parameters.find((p) => p.name === 'Tables')?.required, true);

    const problems = await stacks.validateParameters('table-backup-schedule', {
      Tables: 'studentData',
      BucketName: 'acme-backups',
      NotifyRecipient: 'ops@example.com',
    });
    assert.deepEqual(
      problems.map((p) => p.code),
      ['Rule'],
    );
    assert.deepEqual(await stacks.validateParameters('backup-bucket', { BucketName: 'acme-backups' }), []);
    await assert.rejects(stacks.templateParameters('nope'), { code: 'NoSuchTemplate' });
  });
});

describe('a deployment as the window polls it', () => {
  test('follows the phases, keeps the change set type, the changes, each event and the final status', () => {
    const deployment: Deployment = {
      deploymentId: 'd',
      template: 'backup-bucket',
      stackName: STACK,
      state: 'running',
      phase: 'starting',
      changes: [],
      events: [],
      outputs: [],
    };
    const change: StackChange = { action: 'Add', logicalId: 'Key', resourceType: 'AWS::KMS::Key' };
    const event = {
      timestamp: '2026-11-23T12:00:00.000Z',
      logicalId: 'Key',
      resourceType: 'AWS::KMS::Key',
      status: 'CREATE_COMPLETE',
    };
    recordProgress(deployment, { phase: 'change-set', stackName: STACK, changeSetType: 'CREATE' });
    assert.equal(deployment.phase, 'change-set');
    recordProgress(deployment, { phase: 'changes', stackName: STACK, changes: [change] });
    recordProgress(deployment, { phase: 'execute', stackName: STACK });
    recordProgress(deployment, { phase: 'event', stackName: STACK, event });
    assert.equal(deployment.phase, 'execute', 'an event is not a phase');
    recordProgress(deployment, { phase: 'done', stackName: STACK, status: 'CREATE_COMPLETE' });
    assert.deepEqual(deployment, {
      deploymentId: 'd',
      template: 'backup-bucket',
      stackName: STACK,
      state: 'running',
      phase: 'done',
      changeSetType: 'CREATE',
      changes: [change],
      events: [event],
      status: 'CREATE_COMPLETE',
      outputs: [],
    });
  });
});
