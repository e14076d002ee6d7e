import { z } from 'zod';
import { IpcChannel, type IpcInput } from '../ipc';

/**
 * The schema of every channel's input. `satisfies` ties each to the contract in ipc.ts: a schema
 * that accepts something the contract does not describe fails to compile. Objects are strict, so
 * unknown keys from the page are refused rather than passed along.
 */
type InputSchemas = { [C in IpcChannel]: z.ZodType<IpcInput<C>> };

const none = z.undefined();
const id = z.string().min(1).max(200);
const cron = z.string().min(1).max(200);
const name = z.string().trim().min(1).max(1024);
const awsName = z.string().trim().max(255);

export const ipcInputs = {
  [IpcChannel.GetAppInfo]: none,
  [IpcChannel.GetSettings]: none,
  [IpcChannel.SaveSettings]: z
    .object({
      profile: awsName.optional(),
      region: z
        .string()
        .trim()
        .regex(/^([a-z]{2}(-[a-z]+)+-\d)?$/, 'not an AWS region, e.g. eu-west-1')
        .optional(),
      bucket: z
        .string()
        .trim()
        .regex(/^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?$/, 'not an S3 bucket name')
        .optional(),
      prefix: z.string().trim().max(512).optional(),
      startAtLogin: z.boolean().optional(),
      notifications: z.enum(['all', 'failures', 'none']).optional(),
      quitDuringJob: z.enum(['ask', 'cancel', 'wait']).optional(),
    })
    .strict(),
  [IpcChannel.SetDemoMode]: z.object({ enabled: z.boolean() }).strict(),
  [IpcChannel.SessionStatus]: none,
  [IpcChannel.StartSession]: z.object({ code: z.string().regex(/^\d{6}$/, 'an MFA code is 6 digits') }).strict(),
  [IpcChannel.ListSources]: none,
  [IpcChannel.AddSource]: z.discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('table'),
        table: name,
        cron: cron.optional(),
        engine: z.enum(['auto', 'scan', 'export']).optional(),
        incremental: z.boolean().optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('folder'),
        dir: name,
        cron: cron.optional(),
        excludes: z.array(z.string().max(1024)).max(1000).optional(),
      })
      .strict(),
  ]),
  [IpcChannel.UpdateSource]: z.object({ id, cron: cron.optional(), enabled: z.boolean().optional() }).strict(),
  [IpcChannel.RemoveSource]: z.object({ id }).strict(),
  [IpcChannel.PickFolder]: none,
  [IpcChannel.ListTables]: none,
  [IpcChannel.ScheduleStatus]: none,
  [IpcChannel.SetPaused]: z.object({ paused: z.boolean() }).strict(),
  [IpcChannel.BackUpNow]: z.object({ sourceId: id.optional() }).strict(),
  [IpcChannel.ListHistory]: z
    .object({ sourceId: id.optional(), limit: z.number().int().min(1).max(1000).optional() })
    .strict(),
  [IpcChannel.GetRun]: z.object({ runId: id }).strict(),
  [IpcChannel.ListRestorePoints]: z.object({ sourceId: id }).strict(),
  [IpcChannel.Restore]: z
    .object({ sourceId: id, restorePoint: id, target: name, overwrite: z.boolean().optional() })
    .strict(),
  [IpcChannel.CancelRestore]: z.object({ sourceId: id }).strict(),
  [IpcChannel.ListTemplates]: none,
  [IpcChannel.TemplateParameters]: z.object({ template: id }).strict(),
  [IpcChannel.PreviewStack]: stackInput(),
  [IpcChannel.DeployStack]: stackInput(),
  [IpcChannel.GetDeployment]: z.object({ deploymentId: id }).strict(),
  [IpcChannel.GetStatus]: z.object({ sourceId: id.optional() }).strict(),
} satisfies InputSchemas;

function stackInput() {
  return z
    .object({
      template: id,
      stackName: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a stack name starts with a letter; letters, digits and hyphens'),
      parameters: z.record(z.string().max(255), z.string().max(4096)),
    })
    .strict();
}
