// The deploy flow of the stacks module against an in-process CloudFormation (aws-sdk-client-mock:
// no emulator serves CloudFormation): create, update, an update without changes, a failure with
// its reason, delete, status, the Lambda bundle upload, cancel, and parameter errors before any call.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  CancelUpdateStackCommand,
  type ChangeAction,
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  AwsClients,
  type ColdkeepError,
  declarationOf,
  deleteStack,
  deployStack,
  generatePolicy,
  loadTemplate,
  type StackProgress,
  stackStatus,
} from '@coldkeep/shared';
import { mockClient } from 'aws-sdk-client-mock';

const cf = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const STACK = 'coldkeep-backup-bucket';
const STACK_ID = `arn:aws:cloudformation:us-east-1:111122223333:stack/${STACK}/1234`;
const CHANGE_SET_ID = `arn:aws:cloudformation:us-east-1:111122223333:changeSet/cs/5678`;

const missing = (): Error =>
  Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' });

let clients: AwsClients;
beforeEach(() => {
  cf.reset();
  s3.reset();
  clients = new AwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
});
// Every call the stacks module made in these tests, as service.Operation, for the action table's check (last).
const made = new Set<string>();
afterEach(() => {
  for (const [service, mock] of [
    ['cloudformation', cf],
    ['s3', s3],
  ] as const) {
    for (const call of mock.calls()) made.add(`${service}.${call.args[0].constructor.name.replace(/Command$/, '')}`);
  }
  clients.destroy();
});

let eventCounter = 0;
function event(logicalId: string, type: string, status: string, reason?: string): StackEvent {
  eventCounter++;
  return {
    EventId: `e${eventCounter}`,
    StackId: STACK_ID,
    StackName: STACK,
    LogicalResourceId: logicalId,
    ResourceType: type,
    ResourceStatus: status,
    Timestamp: new Date(Date.now() + eventCounter),
    ...(reason ? { ResourceStatusReason: reason } : {}),
  } as StackEvent;
}

/** DescribeStackEvents as CloudFormation answers it: newest first, growing with each poll. */
function eventsInBatches(batches: StackEvent[][], before: StackEvent[] = []): void {
  // The first call is the look before the operation starts: only earlier events exist then.
  const all = [before, ...batches];
  let call = 0;
  cf.on(DescribeStackEventsCommand).callsFake(() => {
    const shown = all.slice(0, Math.min(++call, all.length)).flat();
    return { StackEvents: [...shown].reverse() };
  });
}

function stack(status: string, extra: Partial<Stack> = {}): Stack {
  return { StackName: STACK, StackId: STACK_ID, StackStatus: status, CreationTime: new Date(), ...extra } as Stack;
}

const OUTPUTS = [
  { OutputKey: 'BucketName', OutputValue: 'acme-backups', Description: 'The backup bucket' },
  { OutputKey: 'KmsKeyArn', OutputValue: 'arn:aws:kms:us-east-1:111122223333:key/k' },
];

function changeSetReady(changes: { Action: ChangeAction; LogicalResourceId: string; ResourceType: string }[]): void {
  cf.on(DescribeChangeSetCommand)
    .resolvesOnce({ Status: 'CREATE_PENDING' })
    .resolves({
      Status: 'CREATE_COMPLETE',
      StackId: STACK_ID,
      Changes: changes.map((c) => ({ Type: 'Resource', ResourceChange: c })),
    });
}

const options = (progress: StackProgress[] = []) => ({
  pollIntervalMs: 1,
  onProgress: (p: StackProgress) => progress.push(p),
});

describe('deployStack', () => {
  test('create: change set, changes, execute, events streamed in order, outputs', async () => {
    cf.on(DescribeStacksCommand, { StackName: STACK }).rejects(missing());
    cf.on(DescribeStacksCommand, { StackName: STACK_ID })
      .resolvesOnce({ Stacks: [stack('CREATE_IN_PROGRESS')] })
      .resolves({ Stacks: [stack('CREATE_COMPLETE', { Outputs: OUTPUTS })] });
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    changeSetReady([
      { Action: 'Add', LogicalResourceId: 'BackupKey', ResourceType: 'AWS::KMS::Key' },
      { Action: 'Add', LogicalResourceId: 'BackupBucket', ResourceType: 'AWS::S3::Bucket' },
    ]);
    cf.on(ExecuteChangeSetCommand).resolves({});
    eventsInBatches([
      [
        event(STACK, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS'),
        event('BackupKey', 'AWS::KMS::Key', 'CREATE_IN_PROGRESS'),
      ],
      [
        event('BackupKey', 'AWS::KMS::Key', 'CREATE_COMPLETE'),
        event('BackupBucket', 'AWS::S3::Bucket', 'CREATE_COMPLETE'),
        event(STACK, 'AWS::CloudFormation::Stack', 'CREATE_COMPLETE'),
      ],
    ]);

    const progress: StackProgress[] = [];
    const report = await deployStack(
      clients,
      { template: 'backup-bucket', params: { ArchiveAfterDays: '30', BucketName: 'acme-backups' } },
      options(progress),
    );

    const create = cf.commandCalls(CreateChangeSetCommand)[0]!.args[0].input;
    assert.equal(create.StackName, STACK);
    assert.equal(create.ChangeSetType, 'CREATE');
    assert.equal(create.TemplateBody, loadTemplate('backup-bucket').body);
    assert.deepEqual(create.Parameters, [
      { ParameterKey: 'BucketName', ParameterValue: 'acme-backups' },
      { ParameterKey: 'ArchiveAfterDays', ParameterValue: '30' },
    ]);
    assert.deepEqual(create.Capabilities, []);
    assert.deepEqual(create.Tags?.[0], { Key: 'coldkeep:template', Value: 'backup-bucket' });
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand)[0]!.args[0].input.ChangeSetName, CHANGE_SET_ID);

    assert.deepEqual(
      progress.map((p) => p.phase),
      ['change-set', 'changes', 'execute', 'event', 'event', 'event', 'event', 'event', 'done'],
    );
    const streamed = progress.flatMap((p) => (p.phase === 'event' ? [`${p.event.logicalId} ${p.event.status}`] : []));
    assert.deepEqual(streamed, [
      `${STACK} CREATE_IN_PROGRESS`,
      'BackupKey CREATE_IN_PROGRESS',
      'BackupKey CREATE_COMPLETE',
      'BackupBucket CREATE_COMPLETE',
      `${STACK} CREATE_COMPLETE`,
    ]);
    assert.equal(report.stackName, STACK);
    assert.equal(report.changeSetType, 'CREATE');
    assert.equal(report.status, 'CREATE_COMPLETE');
    assert.equal(report.noChanges, false);
    assert.equal(report.executed, true);
    assert.deepEqual(
      report.changes.map((c) => `${c.action} ${c.logicalId}`),
      ['Add BackupKey', 'Add BackupBucket'],
    );
    assert.deepEqual(report.outputs[0], { key: 'BucketName', value: 'acme-backups', description: 'The backup bucket' });
    assert.equal(report.events.length, 5);
  });

  test('update: IAM capabilities, changed values sent, the others kept from the stack', async () => {
    const previous = [
      { ParameterKey: 'BucketName', ParameterValue: 'acme-backups' },
      { ParameterKey: 'KmsKeyArn', ParameterValue: 'arn:aws:kms:us-east-1:111122223333:key/abc' },
      { ParameterKey: 'Tables', ParameterValue: 'orders' },
      { ParameterKey: 'Prefix', ParameterValue: 'coldkeep' },
    ];
    const stackName = 'coldkeep-backup-roles';
    cf.on(DescribeStacksCommand, { StackName: stackName }).resolves({
      Stacks: [stack('CREATE_COMPLETE', { StackName: stackName, Parameters: previous })],
    });
    cf.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({
      Stacks: [stack('UPDATE_COMPLETE', { Outputs: OUTPUTS })],
    });
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    changeSetReady([{ Action: 'Modify', LogicalResourceId: 'OperatorRole', ResourceType: 'AWS::IAM::Role' }]);
    cf.on(ExecuteChangeSetCommand).resolves({});
    // The event of the earlier create is not shown again; this update's event is, though its time
    // is an hour behind the local clock (a clock that is off must not hide events).
    const earlier = event(stackName, 'AWS::CloudFormation::Stack', 'CREATE_COMPLETE');
    const skewed = {
      ...event(stackName, 'AWS::CloudFormation::Stack', 'UPDATE_COMPLETE'),
      Timestamp: new Date(Date.now() - 3_600_000),
    };
    eventsInBatches([[skewed]], [earlier]);

    // Tables is required, but the stack has it: an update may leave it out.
    const report = await deployStack(clients, { template: 'backup-roles', params: { Prefix: 'backups' } }, options());
    assert.deepEqual(
      report.events.map((e) => e.status),
      ['UPDATE_COMPLETE'],
    );
    const input = cf.commandCalls(CreateChangeSetCommand)[0]!.args[0].input;
    assert.equal(input.ChangeSetType, 'UPDATE');
    assert.deepEqual(input.Capabilities, ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM']);
    assert.deepEqual(input.Parameters, [
      { ParameterKey: 'BucketName', UsePreviousValue: true },
      { ParameterKey: 'Prefix', ParameterValue: 'backups' },
      { ParameterKey: 'KmsKeyArn', UsePreviousValue: true },
      { ParameterKey: 'Tables', UsePreviousValue: true },
    ]);
    assert.equal(report.changeSetType, 'UPDATE');
    assert.equal(report.status, 'UPDATE_COMPLETE');
    assert.deepEqual(report.changes, [{ action: 'Modify', logicalId: 'OperatorRole', resourceType: 'AWS::IAM::Role' }]);
  });

  test('an update without changes says so, executes nothing and removes its change set', async () => {
    cf.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_COMPLETE', { Outputs: OUTPUTS })] });
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    cf.on(DescribeChangeSetCommand).resolves({
      Status: 'FAILED',
      StatusReason:
        "The submitted information didn't contain changes. Submit different information to create a change set.",
    });
    cf.on(DeleteChangeSetCommand).resolves({});

    const report = await deployStack(clients, { template: 'backup-bucket', params: {} }, options());
    assert.equal(report.noChanges, true);
    assert.equal(report.executed, false);
    assert.equal(report.status, 'UPDATE_COMPLETE');
    assert.equal(report.outputs.length, 2);
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 0);
    assert.equal(cf.commandCalls(DeleteChangeSetCommand)[0]!.args[0].input.ChangeSetName, CHANGE_SET_ID);
    assert.equal(cf.commandCalls(DeleteStackCommand).length, 0, 'an existing stack is never deleted');
  });

  test('a failed create names the resource, its reason and the state the stack was left in', async () => {
    cf.on(DescribeStacksCommand, { StackName: STACK }).rejects(missing());
    cf.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('ROLLBACK_COMPLETE')] });
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    changeSetReady([{ Action: 'Add', LogicalResourceId: 'BackupBucket', ResourceType: 'AWS::S3::Bucket' }]);
    cf.on(ExecuteChangeSetCommand).resolves({});
    eventsInBatches([
      [
        event('BackupKey', 'AWS::KMS::Key', 'CREATE_FAILED', 'Resource creation cancelled'),
        event('BackupBucket', 'AWS::S3::Bucket', 'CREATE_FAILED', 'acme-backups already exists'),
        event(
          STACK,
          'AWS::CloudFormation::Stack',
          'ROLLBACK_IN_PROGRESS',
          'The following resource(s) failed to create: [BackupBucket].',
        ),
        event(STACK, 'AWS::CloudFormation::Stack', 'ROLLBACK_COMPLETE'),
      ],
    ]);

    await assert.rejects(
      deployStack(clients, { template: 'backup-bucket', params: { BucketName: 'acme-backups' } }, options()),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'StackFailed');
        assert.match(err.message, /BackupBucket \(AWS::S3::Bucket\) failed: acme-backups already exists/);
        assert.match(err.message, /now ROLLBACK_COMPLETE/);
        assert.match(err.hint ?? '', /coldkeep stack delete coldkeep-backup-bucket/);
        const failures = err.details?.failures as { logicalId: string }[];
        assert.deepEqual(
          failures.map((f) => f.logicalId),
          ['BackupBucket', 'BackupKey'],
        );
        return true;
      },
    );
  });

  test('a failed update says the stack was rolled back', async () => {
    cf.on(DescribeStacksCommand, { StackName: STACK }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    cf.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('UPDATE_ROLLBACK_COMPLETE')] });
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    changeSetReady([{ Action: 'Modify', LogicalResourceId: 'BackupBucket', ResourceType: 'AWS::S3::Bucket' }]);
    cf.on(ExecuteChangeSetCommand).resolves({});
    eventsInBatches([
      [
        event('BackupBucket', 'AWS::S3::Bucket', 'UPDATE_FAILED', 'Access Denied'),
        event(STACK, 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_COMPLETE'),
      ],
    ]);
    await assert.rejects(
      deployStack(clients, { template: 'backup-bucket', params: { ArchiveAfterDays: '20' } }, options()),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'StackFailed');
        assert.match(err.message, /update of stack "coldkeep-backup-bucket" failed: BackupBucket .* Access Denied/);
        assert.match(err.message, /UPDATE_ROLLBACK_COMPLETE/);
        assert.match(err.hint ?? '', /rolled back/);
        return true;
      },
    );
  });

  test('a change set CloudFormation refuses is reported with its reason; a first deploy leaves no empty stack', async () => {
    cf.on(DescribeStacksCommand).rejects(missing());
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    cf.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', StatusReason: 'Template format error: bad thing' });
    await assert.rejects(
      deployStack(clients, { template: 'backup-bucket', params: {} }, options()),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'StackFailed');
        assert.match(err.message, /Template format error: bad thing/);
        return true;
      },
    );
    assert.equal(cf.commandCalls(DeleteStackCommand)[0]!.args[0].input.StackName, STACK_ID);
  });

  test('a dry run shows the changes and removes the change set', async () => {
    cf.on(DescribeStacksCommand).rejects(missing());
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    changeSetReady([{ Action: 'Add', LogicalResourceId: 'BackupBucket', ResourceType: 'AWS::S3::Bucket' }]);
    const seen: string[] = [];
    const report = await deployStack(
      clients,
      { template: 'backup-bucket', params: {} },
      {
        ...options(),
        approve: (changes) => {
          seen.push(...changes.map((c) => c.logicalId));
          return false;
        },
      },
    );
    assert.deepEqual(seen, ['BackupBucket']);
    assert.equal(report.executed, false);
    assert.equal(cf.commandCalls(ExecuteChangeSetCommand).length, 0);
    assert.equal(cf.commandCalls(DeleteChangeSetCommand).length, 1);
    assert.equal(cf.commandCalls(DeleteStackCommand).length, 1);
  });

  test('parameter errors are reported before any AWS call', async () => {
    await assert.rejects(
      deployStack(
        clients,
        { template: 'backup-bucket', params: { ArchiveAfterDays: 'soon', ObjectLockMode: 'FOREVER', Nope: 'x' } },
        options(),
      ),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'InvalidInput');
        assert.match(err.message, /ArchiveAfterDays "soon" is not a number/);
        assert.match(err.message, /ObjectLockMode "FOREVER" is not one of/);
        assert.match(err.message, /no parameter Nope/);
        assert.equal((err.details?.problems as unknown[]).length, 3);
        return true;
      },
    );
    // A required value may come from the stack on an update: only what is wrong anyway is said now.
    await assert.rejects(
      deployStack(clients, { template: 'backup-roles', params: { Prefix: '/bad/' } }, options()),
      (err: ColdkeepError) => {
        assert.match(err.message, /Prefix "\/bad\/" does not match/);
        assert.doesNotMatch(err.message, /BucketName/);
        return true;
      },
    );
    await assert.rejects(
      deployStack(clients, { template: 'backup-bucket', stackName: '1bad_name', params: {} }, options()),
      {
        code: 'InvalidInput',
      },
    );
    await assert.rejects(deployStack(clients, { template: 'no-such-template', params: {} }, options()), {
      code: 'NoSuchTemplate',
    });
    assert.equal(cf.calls().length, 0);
  });

  test('a missing required parameter of a first deploy is reported after looking the stack up, before a change set', async () => {
    cf.on(DescribeStacksCommand).rejects(missing());
    await assert.rejects(
      deployStack(clients, { template: 'audit-trail', params: {} }, options()),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'InvalidInput');
        assert.match(err.message, /BackupBucketName is required/);
        return true;
      },
    );
    assert.equal(cf.commandCalls(CreateChangeSetCommand).length, 0);
  });

  test('a busy stack, and one whose first deploy failed, are refused with what to do', async () => {
    cf.on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack('UPDATE_IN_PROGRESS')] })
      .resolves({ Stacks: [stack('ROLLBACK_COMPLETE')] });
    await assert.rejects(deployStack(clients, { template: 'backup-bucket', params: {} }, options()), {
      code: 'StackBusy',
    });
    await assert.rejects(
      deployStack(clients, { template: 'backup-bucket', params: {} }, options()),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'StackFailed');
        assert.match(err.hint ?? '', /delete it/);
        return true;
      },
    );
    assert.equal(cf.commandCalls(CreateChangeSetCommand).length, 0);
  });

  test('cancelling an update asks CloudFormation to roll it back', async () => {
    cf.on(DescribeStacksCommand, { StackName: STACK }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    cf.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('UPDATE_IN_PROGRESS')] });
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    changeSetReady([{ Action: 'Modify', LogicalResourceId: 'BackupBucket', ResourceType: 'AWS::S3::Bucket' }]);
    cf.on(ExecuteChangeSetCommand).resolves({});
    cf.on(CancelUpdateStackCommand).resolves({});
    eventsInBatches([[event('BackupBucket', 'AWS::S3::Bucket', 'UPDATE_IN_PROGRESS')]]);
    const controller = new AbortController();
    await assert.rejects(
      deployStack(
        clients,
        { template: 'backup-bucket', params: {} },
        {
          pollIntervalMs: 5,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'event') controller.abort();
          },
        },
      ),
      (err: ColdkeepError) => {
        assert.equal(err.code, 'Cancelled');
        assert.match(err.message, /rolled back/);
        return true;
      },
    );
    assert.equal(cf.commandCalls(CancelUpdateStackCommand)[0]!.args[0].input.StackName, STACK_ID);
  });

  test('a template that runs the Lambda bundle uploads it by content hash and passes its location', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldkeep-bundle-'));
    const zip = join(dir, 'table-backup.zip');
    writeFileSync(zip, 'PK\u0003\u0004 not really a zip');
    const stackName = 'coldkeep-table-backup-schedule';
    cf.on(DescribeStacksCommand, { StackName: stackName }).rejects(missing());
    cf.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    cf.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
    changeSetReady([{ Action: 'Add', LogicalResourceId: 'BackupFunction', ResourceType: 'AWS::Lambda::Function' }]);
    cf.on(ExecuteChangeSetCommand).resolves({});
    eventsInBatches([[event(stackName, 'AWS::CloudFormation::Stack', 'CREATE_COMPLETE')]]);
    s3.on(HeadObjectCommand)
      .rejectsOnce(Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }))
      .resolves({});
    s3.on(PutObjectCommand).resolves({});

    const input = {
      template: 'table-backup-schedule',
      params: { Tables: 'orders', BucketName: 'acme-backups', Prefix: 'nightly' },
    };
    const first = await deployStack(clients, input, { ...options(), lambdaBundlePath: zip });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    assert.equal(put.Bucket, 'acme-backups');
    assert.match(put.Key ?? '', /^nightly\/lambda\/table-backup-[0-9a-f]{16}\.zip$/);
    assert.equal(put.ChecksumAlgorithm, 'SHA256');
    assert.deepEqual(
      first.lambdaBundle && {
        bucket: first.lambdaBundle.bucket,
        key: first.lambdaBundle.key,
        uploaded: first.lambdaBundle.uploaded,
      },
      {
        bucket: 'acme-backups',
        key: put.Key,
        uploaded: true,
      },
    );
    const params = cf.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.Parameters ?? [];
    assert.deepEqual(
      params.filter((p) => p.ParameterKey?.startsWith('Code')),
      [
        { ParameterKey: 'CodeBucket', ParameterValue: 'acme-backups' },
        { ParameterKey: 'CodeKey', ParameterValue: put.Key },
      ],
    );

    const second = await deployStack(clients, input, { ...options(), lambdaBundlePath: zip });
    assert.equal(second.lambdaBundle?.uploaded, false, 'the same bundle is not sent twice');
    assert.equal(s3.commandCalls(PutObjectCommand).length, 1);

    await assert.rejects(deployStack(clients, input, { ...options(), lambdaBundlePath: join(dir, 'missing.zip') }), {
      code: 'LambdaBundleMissing',
    });
  });
});

describe('stackStatus and deleteStack', () => {
  test('status of a stack, and of one that does not exist', async () => {
    cf.on(DescribeStacksCommand, { StackName: STACK }).resolves({
      Stacks: [
        stack('UPDATE_COMPLETE', {
          Outputs: OUTPUTS,
          Parameters: [{ ParameterKey: 'Prefix', ParameterValue: 'coldkeep' }],
          Tags: [{ Key: 'coldkeep:template', Value: 'backup-bucket' }],
        }),
      ],
    });
    cf.on(DescribeStacksCommand, { StackName: 'other' }).rejects(missing());
    const status = await stackStatus(clients, STACK);
    assert.equal(status.exists, true);
    assert.equal(status.status, 'UPDATE_COMPLETE');
    assert.equal(status.template, 'backup-bucket');
    assert.deepEqual(status.parameters, { Prefix: 'coldkeep' });
    assert.equal(status.outputs[1]!.value, 'arn:aws:kms:us-east-1:111122223333:key/k');
    const gone = await stackStatus(clients, 'other');
    assert.deepEqual(gone, { stackName: 'other', exists: false, outputs: [], parameters: {} });
  });

  test('delete streams events and lists what was kept', async () => {
    cf.on(DescribeStacksCommand, { StackName: STACK }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    cf.on(DescribeStacksCommand, { StackName: STACK_ID })
      .resolvesOnce({ Stacks: [stack('DELETE_IN_PROGRESS')] })
      .resolves({ Stacks: [stack('DELETE_COMPLETE')] });
    cf.on(DeleteStackCommand).resolves({});
    eventsInBatches([
      [event(STACK, 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS')],
      [
        { ...event('BackupBucket', 'AWS::S3::Bucket', 'DELETE_SKIPPED'), PhysicalResourceId: 'acme-backups' },
        event('BackupKeyAlias', 'AWS::KMS::Alias', 'DELETE_COMPLETE'),
        event(STACK, 'AWS::CloudFormation::Stack', 'DELETE_COMPLETE'),
      ],
    ]);
    const seen: string[] = [];
    const report = await deleteStack(
      clients,
      { stackName: STACK },
      {
        pollIntervalMs: 1,
        onProgress: (p) => {
          if (p.phase === 'event') seen.push(`${p.event.logicalId} ${p.event.status}`);
        },
      },
    );
    assert.equal(cf.commandCalls(DeleteStackCommand)[0]!.args[0].input.StackName, STACK_ID);
    assert.equal(report.existed, true);
    assert.equal(report.status, 'DELETE_COMPLETE');
    assert.deepEqual(report.retained, [
      { logicalId: 'BackupBucket', resourceType: 'AWS::S3::Bucket', physicalId: 'acme-backups' },
    ]);
    assert.equal(seen.length, 4);
    assert.equal(seen.at(-1), `${STACK} DELETE_COMPLETE`);
  });

  test('a failed delete names the resource and its reason; a missing stack is nothing to do', async () => {
    cf.on(DescribeStacksCommand, { StackName: STACK }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    cf.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('DELETE_FAILED')] });
    cf.on(DescribeStacksCommand, { StackName: 'gone' }).rejects(missing());
    cf.on(DeleteStackCommand).resolves({});
    eventsInBatches([
      [
        event('AccessLogBucket', 'AWS::S3::Bucket', 'DELETE_FAILED', 'The bucket you tried to delete is not empty'),
        event(STACK, 'AWS::CloudFormation::Stack', 'DELETE_FAILED'),
      ],
    ]);
    await assert.rejects(deleteStack(clients, { stackName: STACK }, { pollIntervalMs: 1 }), (err: ColdkeepError) => {
      assert.equal(err.code, 'StackFailed');
      assert.match(err.message, /AccessLogBucket \(AWS::S3::Bucket\) The bucket you tried to delete is not empty/);
      assert.match(err.message, /now DELETE_FAILED/);
      assert.match(err.hint ?? '', /empty it/);
      return true;
    });
    const nothing = await deleteStack(clients, { stackName: 'gone' }, { pollIntervalMs: 1 });
    assert.equal(nothing.existed, false);
  });
});

describe('the action table for stacks', () => {
  test('declares exactly the calls deploy, status and delete made above (mocked: no emulator serves CloudFormation)', () => {
    const declared = new Set(declarationOf('stacks').grants.flatMap((g) => g.calls));
    assert.deepEqual([...made].sort(), [...declared].sort());
    const { policy, notes } = generatePolicy({ operations: ['stacks'], bucket: 'acme-backups', prefix: 'nightly' });
    const bundles = policy.Statement.find((s) => s.Sid === 'LambdaBundles')!;
    assert.equal(bundles.Resource, 'arn:aws:s3:::acme-backups/nightly/lambda/*');
    assert.deepEqual(bundles.Action, ['s3:GetObject', 's3:PutObject']);
    assert.ok(notes.some((n) => /no emulator serves/.test(n)));
    // Without a bucket the policy is still made, without the bundle upload, and says so.
    const bare = generatePolicy({ operations: ['stacks'] });
    assert.ok(bare.policy.Statement.every((s) => !(s.Action as string[]).some((a) => a.startsWith('s3:'))));
    assert.ok(bare.notes.some((n) => /No bucket \({setting:bucket}\): the upload of a Lambda bundle/.test(n)));
  });
});
