import { Command } from 'commander';
import type { CliContext } from '../context';
import { formatBytes, table } from '../format';
import { addSourceOptions, resolveSource, type SourceFlags } from './filesCommon';

function modeString(mode: number): string {
  const bits = 'rwxrwxrwx';
  return [...bits].map((c, i) => (mode & (1 << (8 - i)) ? c : '-')).join('');
}

export function filesLsCommand(context: () => Promise<CliContext>): Command {
  const command = new Command('ls')
    .description('list what a snapshot holds (all of it, or under a path or glob)')
    .argument('<snapshot>', 'snapshot id (or its start), or "latest"')
    .argument('[path...]', 'sub-paths or globs (gitignore syntax)');
  addSourceOptions(command);
  return command.action(async (snapshot: string, paths: string[], flags: SourceFlags) => {
    const ctx = await context();
    const { AwsClients } = await import('../../base/aws/clients.js');
    const { readSnapshot, resolveSnapshotId } = await import('../../folders/repository/snapshotCatalog.js');
    const { foldersToRead, selectEntries } = await import('../../folders/restore/pathSelection.js');
    const { snapshotEntries } = await import('../../folders/repository/snapshotEntries.js');
    const { sourceLocation } = await import('../../folders/repository/layout.js');
    const clients = new AwsClients(ctx.settings);
    try {
      const { bucket, prefix, source } = await resolveSource(clients, flags);
      const loc = sourceLocation(bucket, prefix, source);
      const id = await resolveSnapshotId(clients.s3, loc, snapshot);
      const manifest = await readSnapshot(clients.s3, loc, id);
      const read = await snapshotEntries(clients.s3, loc, manifest, { descend: foldersToRead(paths) });
      const entries = selectEntries(read.entries, paths);
      // Entries read from trees keep their `name` (and a folder its `tree`): not part of a listing.
      const listed = entries.map((e) => {
        const { name: _name, tree: _tree, ...rest } = e as typeof e & { name?: string; tree?: unknown };
        return rest;
      });
      if (ctx.json) return ctx.out(JSON.stringify({ source, snapshotId: id, entries: listed }, null, 2));
      ctx.out(
        table(
          ['TYPE', 'MODE', 'SIZE', 'MODIFIED', 'PATH'],
          entries.map((e) => [
            e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : '-',
            e.type === 'symlink' ? 'rwxrwxrwx' : modeString(e.mode),
            e.type === 'file' ? formatBytes(e.size) : '',
            new Date(e.mtimeMs)
              .toISOString()
              .replace('T', ' ')
              .replace(/\.\d+Z$/, 'Z'),
            e.type === 'symlink' ? `${e.path} -> ${e.target}` : e.type === 'dir' ? `${e.path}/` : e.path,
          ]),
        ),
      );
    } finally {
      clients.destroy();
    }
  });
}
