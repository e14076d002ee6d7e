import { InvalidArgumentError } from 'commander';
import type { StackEvent } from '../../infra/stacks/stackEvents';

/** --param K=V, repeatable; the value may hold "=" and commas (list parameters). */
export function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError(`expected KEY=VALUE, e.g. ArchiveAfterDays=30, got "${value}"`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** A template name stands for the stack it deploys by default; anything else is a stack name. */
export async function stackNameFor(name: string, templatesDir?: string): Promise<string> {
  const { defaultStackName, templateNames } = await import('../../infra/stacks/templateCatalog.js');
  let names: string[] = [];
  try {
    names = templateNames(templatesDir ? { templatesDir } : {});
  } catch {
    // No catalogue here: the name can only be a stack name.
  }
  return names.includes(name) ? defaultStackName(name) : name;
}

/** One event as a log line: time, status, resource, reason. */
export function eventLine(e: StackEvent): string {
  const time = e.timestamp.slice(11, 19);
  return `${time}  ${e.status.padEnd(28)} ${e.logicalId} (${e.resourceType})${e.reason ? `  ${e.reason}` : ''}`;
}
