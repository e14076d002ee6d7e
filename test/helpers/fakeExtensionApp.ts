// The app as the extension's commands see it, for unit tests: a connection to bucket "b" under
// prefix "p" (no MFA session), the features given, and the output channel's lines.
// Call installFakeVscode() before this module's fakeApp: the extension's settings load `vscode`.
type Connection = import('coldkeep-vscode/out/connection').Connection;
type Features = import('coldkeep-vscode/out/features/features').Features;

export function config(values: Record<string, unknown>): { get<T>(key: string): T | undefined } {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

export function fakeApp(
  features: { folders?: Partial<Features['folders']>; stacks?: Partial<Features['stacks']> },
  clients: Record<string, unknown> = {},
): never {
  /* eslint-disable-next-line @typescript-eslint/no-require-imports */
  const settings = require('coldkeep-vscode/out/settings') as typeof import('coldkeep-vscode/out/settings');
  const connection = {
    settings: settings.readSettings(config({ bucket: 'b', prefix: 'p' })),
    clients,
    // The core's connection, as runJob sees it: no MFA session.
    core: { clients, session: async () => undefined },
    bucket: () => 'b',
    session: async () => undefined,
  } as unknown as Connection;
  const lines: string[] = [];
  return {
    features,
    connection: () => connection,
    awsConnection: async () => connection,
    callerIdentity: async () => ({
      account: '111122223333',
      arn: 'arn:aws:iam::111122223333:user/u',
      partition: 'aws',
      region: 'eu-west-1',
    }),
    output: { appendLine: (l: string) => lines.push(l), show: () => undefined },
    refreshViews: () => undefined,
    lines,
  } as never;
}
