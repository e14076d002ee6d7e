// Deploy Stack: the catalogue, validation before any call, the previewed change set, cancel.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CancelledError, sleep } from '@coldkeep/shared';
import { fakeApp } from '../../../helpers/fakeExtensionApp';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
const fake = installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const stackCommands =
  require('coldkeep-vscode/out/commands/stackCommands') as typeof import('coldkeep-vscode/out/commands/stackCommands');
const core =
  require('coldkeep-vscode/out/features/coreFeatures') as typeof import('coldkeep-vscode/out/features/coreFeatures');
/* eslint-enable @typescript-eslint/no-require-imports */

type Features = import('coldkeep-vscode/out/features/features').Features;
type StackDeployResult = import('coldkeep-vscode/out/features/features').StackDeployResult;

describe('stack deploys', () => {
  // The real catalogue (infra-templates/, found up the tree) and parameter checks; the deploy is a fake.
  const real = core.coreFeatures().stacks;
  const deployed: { input: unknown; approved: boolean }[] = [];
  const stacks: Features['stacks'] = {
    ...real,
    deployStack: async (_clients, input, options): Promise<StackDeployResult> => {
      const approved = await options.approve([
        { action: 'Add', logicalId: 'BackupBucket', resourceType: 'AWS::S3::Bucket' },
      ]);
      deployed.push({ input, approved });
      return approved
        ? {
            stackName: 'coldkeep-backup-bucket',
            executed: true,
            noChanges: false,
            status: 'CREATE_COMPLETE',
            outputs: { BucketName: 'my-backups', Prefix: 'coldkeep' },
          }
        : { stackName: 'coldkeep-backup-bucket', executed: false, noChanges: false, outputs: {} };
    },
  };

  test('the catalogue and parameter checks come from the templates', async () => {
    const names = (await real.listTemplates()).map((t) => t.name);
    assert.ok(names.includes('backup-bucket'), names.join(', '));
    // A template that runs the Lambda bundle says so when its zip is not where the deploy looks.
    const saved = process.env.COLDKEEP_LAMBDA_BUNDLE;
    try {
      process.env.COLDKEEP_LAMBDA_BUNDLE = '/nonexistent/table-backup.zip';
      const schedule = (await real.listTemplates()).find((t) => t.name === 'table-backup-schedule');
      assert.match(schedule?.missing ?? '', /COLDKEEP_LAMBDA_BUNDLE/);
      assert.equal((await real.listTemplates()).find((t) => t.name === 'backup-bucket')?.missing, undefined);
      process.env.COLDKEEP_LAMBDA_BUNDLE = __filename;
      assert.equal((await real.listTemplates()).find((t) => t.name === 'table-backup-schedule')?.missing, undefined);
    } finally {
      if (saved === undefined) delete process.env.COLDKEEP_LAMBDA_BUNDLE;
      else process.env.COLDKEEP_LAMBDA_BUNDLE = saved;
    }
    const params = await real.templateParameters('table-backup-schedule');
    assert.ok(!params.some((p) => p.name === 'CodeKey'), 'the deploy fills in the Lambda key itself');
    const problems = real.validateParameters('backup-bucket', { BucketName: 'Bad_Bucket' });
    assert.deepEqual(
      problems.map((p) => [p.parameter, p.code]),
      [['BucketName', 'Pattern']],
    );
  });

  test('Deploy Stack: each value is validated before any AWS call, the change set is previewed, Deploy runs it', async () => {
    fake.messages.length = 0;
    deployed.length = 0;
    const app = fakeApp({ stacks });
    // A bad bucket name is refused in the input box: nothing is deployed.
    fake.answers.push({ label: 'backup-bucket' }, { action: 'edit', parameter: 'BucketName' }, 'Bad_Bucket');
    assert.equal(await stackCommands.deployStackCommand(app), undefined);
    assert.match(fake.messages.at(-1)!.text, /Bad_Bucket.*would not be accepted.*BucketName/s);
    assert.equal(deployed.length, 0);
    fake.answers.length = 0;

    fake.answers.push({ label: 'backup-bucket' }, { action: 'edit', parameter: 'BucketName' }, 'my-backups', {
      action: 'deploy',
    });
    fake.modalReplies.push('Deploy');
    const result = await stackCommands.deployStackCommand(app);
    assert.equal(result?.executed, true);
    assert.deepEqual(deployed, [
      {
        input: { template: 'backup-bucket', stackName: 'coldkeep-backup-bucket', params: { BucketName: 'my-backups' } },
        approved: true,
      },
    ]);
    const preview = fake.messages.find((m) => /Deploy stack coldkeep-backup-bucket: 1 change/.test(m.text));
    assert.ok(preview, 'the change set was shown for confirmation');
    assert.match(
      fake.messages.at(-1)!.text,
      /Deployed stack coldkeep-backup-bucket \(CREATE_COMPLETE\)\. Bucket: my-backups/,
    );
    const form = fake.picks.at(-1) as { label: string; description?: string }[];
    assert.equal(form.find((i) => i.label === 'BucketName')?.description, 'my-backups');
    assert.equal(form.find((i) => i.label === 'Prefix')?.description, 'coldkeep (default)');

    // Closing the preview discards the change set.
    fake.answers.push({ action: 'deploy' });
    fake.modalReplies.push(undefined);
    const declined = await stackCommands.deployStackCommand(app, 'backup-bucket');
    assert.equal(declined?.executed, false);
    assert.equal(deployed.at(-1)?.approved, false);
    assert.match(fake.messages.at(-1)!.text, /Nothing was deployed/);
  });

  test('a preset given to the command keeps only what it knows', () => {
    assert.deepEqual(stackCommands.deployPresetArgument({ params: { Days: 7 }, approve: true, other: 1 }), {
      params: { Days: '7' },
      approve: true,
    });
    assert.deepEqual(stackCommands.deployPresetArgument('backup-bucket'), {});
  });

  test('cancelling a deploy says what CloudFormation does with the stack', async () => {
    fake.messages.length = 0;
    let pressCancel: (() => void) | undefined;
    fake.onProgress = (cancel) => (pressCancel = cancel);
    const app = fakeApp({
      stacks: {
        ...stacks,
        deployStack: async (_clients, _input, { signal }) => {
          setTimeout(() => pressCancel!(), 10);
          await sleep(10_000, signal).catch(() => undefined);
          throw new CancelledError('Stopped waiting: CloudFormation goes on creating "coldkeep-backup-bucket".');
        },
      },
    });
    const result = await stackCommands.deployStackCommand(app, 'backup-bucket', { params: {}, approve: true });
    fake.onProgress = undefined;
    assert.equal(result, undefined);
    assert.match(fake.messages.at(-1)!.text, /cancelled\. Stopped waiting: CloudFormation goes on creating/);
  });
});
