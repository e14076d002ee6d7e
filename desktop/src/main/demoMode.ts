import { type DemoEnvironment, startDemoEnvironment } from '@coldkeep/shared';

export type { DemoEnvironment };

/**
 * Local demo mode: the core's lasting demo (emulators with their data in the app's data folder,
 * the demo bucket and student table), so every page can be tried without an AWS account.
 */
export function startDemo(dataDir: string, items = 200): Promise<DemoEnvironment> {
  return startDemoEnvironment(dataDir, items);
}
