// The application layer's stacks service (StackService), with CloudFormation as aws-sdk-client-mock
// (no emulator serves it): the preview as a discarded change set, Deploy checked against the
// preview, what a template lacks, and the templates of a packaged app found under process.resourcesPath.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  type ChangeAction,
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import {
  AwsClients,
  type ColdkeepError,
  invalidParametersError,
  sameChanges,
  type StackChange,
  StackService,
} from '@coldkeep/shared';
import { mockClient } from 'aws-sdk-client-mock';

const cf = mockClient(CloudFormationClient);
const STACK = 'coldkeep-backup-bucket';
const STACK_ID = `arn:aws:cloudformation:us-east-1:111122223333:stack/${STACK}/1234`;
const INPUT = {
  template: 'backup-bucket',
  stackName: STACK,
  parameters: { BucketName: 'acme-backups', ArchiveAfterDays: '30' },
};

type Change = { Action: ChangeAction; LogicalResourceId: string; ResourceType: string };
const KEY: Change = { Action: 'Add', LogicalResourceId: 'BackupKey', ResourceType: 'AWS::KMS::Key' };
const BUCKET: Change = { Action: 'Add', LogicalResourceId: 'BackupBucket', ResourceType: 'AWS::S3::Bucket' };

/** A new stack: each change set makes the changes `changes()` gives at that moment; executing it succeeds. */
function newStack(changes: () => Change[]): void {
  let executed = false;
  cf.on(DescribeStacksCommand, { StackName: STACK }).rejects(
    Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }),
  );
  cf.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({
    Stacks: [
      {
        StackName: STACK,
        StackId: STACK_ID,
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [{ OutputKey: 'BucketName', OutputValue: 'acme-backups' }],
      },
    ],
  });
  cf.on(CreateChangeSetCommand).resolves({ Id: 'cs-1', StackId: STACK_ID });
  cf.on(DescribeChangeSetCommand).callsFake(() => ({
    Status: 'CREATE_COMPLETE',
    StackId: STACK_ID,
    Changes: changes().map((c) => ({ Type: 'Resource', ResourceChange: c })),
  }));
  cf.on(DeleteChangeSetCommand).resolves({});
  cf.on(DeleteStackCommand).resolves({});
  cf.on(ExecuteChangeSetCommand).callsFake(() => {
    executed = true;
    return {};
  });
  cf.on(DescribeStackEventsCommand).callsFake(() => ({
    StackEvents: executed
      ? [
          {
            EventId: 'e1',
            StackId: STACK_ID,
            StackName: STACK,
            LogicalResourceId: STACK,
            ResourceType: 'AWS::CloudFormation::Stack',
            ResourceStatus: 'CREATE_COMPLETE',
            Timestamp: new Date(),
          },
        ]
      : [],
  }));
}

let clients: AwsClients;
beforeEach(() => {
  cf.reset();
  clients = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
});
afterEach(() => clients.destroy());

describe('StackService: preview, and Deploy checked against it', () => {
  test('a preview is a change set that is described and discarded; Deploy of the same input executes when the changes match', async () => {
    newStack(() => [KEY, BUCKET]);
    const stacks = new StackService({ pollIntervalMs: 1 });
    const preview = await stacks.previewChangeSet(clients, INPUT, {});
    assert.deepEqual(
      preview.map((c) => c.logicalId),
      ['BackupKey', 'BackupBucket'],
    );
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 0);
    assert.equal(cf.commandCalls(DeleteChangeSetCommand).length, 1);
    assert.equal(cf.commandCalls(DeleteStackCommand).length, 1, 'no empty REVIEW_IN_PROGRESS stack is left');

    const phases: string[] = [];
    // The same values in another order are the same input.
    const result = await stacks.deployStack(
      clients,
      { ...INPUT, parameters: { ArchiveAfterDays: '30', BucketName: 'acme-backups' } },
      { onProgress: (p) => phases.push(p.phase) },
    );
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 1);
    assert.equal(result.status, 'CREATE_COMPLETE');
    assert.equal(result.noChanges, false);
    assert.deepEqual(result.outputs, [{ key: 'BucketName', value: 'acme-backups' }]);
    assert.deepEqual(
      result.changes.map((c) => c.logicalId),
      ['BackupKey', 'BackupBucket'],
    );
    assert.deepEqual(phases, ['change-set', 'changes', 'execute', 'event', 'done']);
  });

  test('Deploy refuses with StackChanged when the change set differs from the preview, and executes nothing', async () => {
    let changes = [KEY];
    newStack(() => changes);
    const stacks = new StackService({ pollIntervalMs: 1 });
    await stacks.previewChangeSet(clients, INPUT, {});
    changes = [KEY, BUCKET];
    await assert.rejects(stacks.deployStack(clients, INPUT, {}), (err: ColdkeepError) => {
      assert.equal(err.code, 'StackChanged');
      assert.match(
        err.message,
        /preview: Add BackupKey; now: Add BackupKey, Add BackupBucket\)\. Nothing was deployed/,
      );
      assert.match(err.hint ?? '', /Preview the changes again/);
      return true;
    });
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 0);
    assert.equal(cf.commandCalls(DeleteChangeSetCommand).length, 2, 'both change sets are discarded');

    // A new preview is what Deploy is checked against from then on.
    await stacks.previewChangeSet(clients, INPUT, {});
    await stacks.deployStack(clients, INPUT, {});
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 1);
  });

  test('a preview of other values, or one that has expired, does not bind Deploy', async () => {
    let changes = [KEY];
    newStack(() => changes);
    let now = 0;
    const stacks = new StackService({ pollIntervalMs: 1, previewTtlMs: 1000, now: () => now });
    await stacks.previewChangeSet(clients, { ...INPUT, parameters: { BucketName: 'other-bucket' } }, {});
    changes = [KEY, BUCKET];
    await stacks.deployStack(clients, INPUT, {});
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 1, 'deployed as the CLI does, without a preview');

    await stacks.previewChangeSet(clients, INPUT, {});
    changes = [KEY];
    now = 1001;
    await stacks.deployStack(clients, INPUT, {});
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 2, 'the expired preview is forgotten');
  });

  test("templates come from templatesDir, else from a packaged app's <resources>/infra-templates", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coldkeep-templates-'));
    const body =
      "AWSTemplateFormatVersion: '2010-09-09'\nDescription: Only a topic.\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n";
    await mkdir(join(dir, 'infra-templates'));
    await writeFile(join(dir, 'infra-templates', 'packaged-only.yaml'), body);
    await writeFile(join(dir, 'given.yaml'), body);
    assert.deepEqual(
      (await new StackService({ templatesDir: dir }).listTemplates()).map((t) => t.name),
      ['given'],
    );

    const process_ = process as { resourcesPath?: string };
    const [resourcesPath, fromEnv] = [process_.resourcesPath, process.env.COLDKEEP_TEMPLATES_DIR];
    process_.resourcesPath = dir;
    delete process.env.COLDKEEP_TEMPLATES_DIR;
    try {
      assert.deepEqual(
        (await new StackService().listTemplates()).map((t) => [t.name, t.description]),
        [['packaged-only', 'Only a topic.']],
      );
    } finally {
      if (resourcesPath === undefined) delete process_.resourcesPath;
      else process_.resourcesPath = resourcesPath;
      if (fromEnv !== undefined) process.env.COLDKEEP_TEMPLATES_DIR = fromEnv;
    }
  });

  test("a front end's own review (approve) decides instead of the preview: declined, nothing is executed", async () => {
    newStack(() => [KEY]);
    const stacks = new StackService({ pollIntervalMs: 1 });
    const shown: string[][] = [];
    const declined = await stacks.deployStack(clients, INPUT, {
      approve: (changes) => (shown.push(changes.map((c) => c.logicalId)), false),
    });
    assert.deepEqual(shown, [['BackupKey']]);
    assert.equal(declined.executed, false);
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 0);
    const approved = await stacks.deployStack(clients, INPUT, { approve: () => true });
    assert.equal(approved.executed, true);
    assert.equal(approved.stackName, STACK);
  });

  test('form parameters leave out what the deploy fills; refused values are one InvalidInput naming each', async () => {
    const stacks = new StackService();
    const all = await stacks.templateParameters('table-backup-schedule');
    const form = await stacks.formParameters('table-backup-schedule');
    assert.ok(all.some((p) => p.filledByDeploy));
    assert.deepEqual(
      form.map((p) => p.name),
      all.filter((p) => !p.filledByDeploy).map((p) => p.name),
    );
    const problems = stacks.validateParameters('backup-bucket', { BucketName: 'Not A Bucket' });
    assert.ok(problems.length > 0);
    const err = invalidParametersError(problems);
    assert.equal(err.code, 'InvalidInput');
    assert.match(err.message, /^The parameters are not valid: .*BucketName/);
    assert.match(err.hint ?? '', /preview again/);
  });

  test('sameChanges compares actions, resources and replacement, not order', () => {
    const a: StackChange = {
      action: 'Modify',
      logicalId: 'Bucket',
      resourceType: 'AWS::S3::Bucket',
      replacement: 'False',
    };
    const b: StackChange = { action: 'Add', logicalId: 'Key', resourceType: 'AWS::KMS::Key' };
    assert.equal(sameChanges([a, b], [b, a]), true);
    assert.equal(sameChanges([a, b], [b, { ...a, replacement: 'True' }]), false);
    assert.equal(sameChanges([a], [a, a]), false);
    assert.equal(sameChanges([], []), true);
  });
});
