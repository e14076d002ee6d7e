import { type AwsClients, StackService, type StackServiceOptions } from '@coldkeep/shared';
import type { Stacks } from './services';

export type StacksOptions = StackServiceOptions;

/**
 * The real stacks service: the core's StackService (app/stacks/stackService.ts) behind the
 * window's channels. Templates come from the core's lookup (a packaged app's
 * `<resources>/infra-templates`, else the repository's) unless `templatesDir` says otherwise;
 * Deploy is checked against the preview of the same input.
 */
export function stacksFrom(options: StacksOptions = {}): Stacks {
  const service = new StackService(options);
  return {
    available: true,
    // The window's picker says itself what a template needs (needsLambdaBundle).
    listTemplates: async () =>
      (await service.listTemplates()).map(({ name, description, defaultStackName, needsLambdaBundle }) => ({
        name,
        description,
        defaultStackName,
        needsLambdaBundle,
      })),
    templateParameters: (template) => service.templateParameters(template),
    validateParameters: async (template, parameters) => service.validateParameters(template, parameters),
    previewChangeSet: (clients: AwsClients, input, job) => service.previewChangeSet(clients, input, job),
    deployStack: (clients: AwsClients, input, job) => service.deployStack(clients, input, job),
  };
}
