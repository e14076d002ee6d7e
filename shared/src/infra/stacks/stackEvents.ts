import {
  type CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  type StackEvent as SdkStackEvent,
} from '@aws-sdk/client-cloudformation';
import { sleep, throwIfAborted } from '../../base/jobs/job';
import { stackError } from './stackErrors';

/** One stack event, as front ends show it. */
export interface StackEvent {
  timestamp: string;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
  physicalId?: string;
}

/** A resource that failed, and why (from its event). */
export interface ResourceFailure {
  logicalId: string;
  resourceType: string;
  status: string;
  reason: string;
}

export const SUCCESS_STATUSES = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

/** Settled: CloudFormation is done with the stack, for better or worse. */
export function isSettled(status: string): boolean {
  return !status.endsWith('_IN_PROGRESS');
}

export function toStackEvent(e: SdkStackEvent): StackEvent {
  return {
    timestamp: (e.Timestamp ?? new Date(0)).toISOString(),
    logicalId: e.LogicalResourceId ?? '',
    resourceType: e.ResourceType ?? '',
    status: e.ResourceStatus ?? '',
    ...(e.ResourceStatusReason ? { reason: e.ResourceStatusReason } : {}),
    ...(e.PhysicalResourceId ? { physicalId: e.PhysicalResourceId } : {}),
  };
}

/** Reads a stack; undefined when it does not exist. */
export async function describeStack(
  cf: CloudFormationClient,
  stackName: string,
  signal?: AbortSignal,
): Promise<Stack | undefined> {
  try {
    const answer = await cf.send(new DescribeStacksCommand({ StackName: stackName }), { abortSignal: signal });
    return answer.Stacks?.[0];
  } catch (err) {
    if (isMissingStack(err)) return undefined;
    throw stackError(err, `read stack ${stackName}`, stackName);
  }
}

export function isMissingStack(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'ValidationError' && /does not exist/.test(e.message ?? '');
}

const CANCELLED_REASON = /Resource (creation|update|deletion) cancelled/i;

/**
 * The failures among events, the first (root) cause first: failed resources before the stack's
 * own summary, and resources cancelled only because another failed last.
 */
export function failuresOf(events: StackEvent[]): ResourceFailure[] {
  const failed = events
    .filter((e) => e.status.endsWith('_FAILED'))
    .map((e) => ({ logicalId: e.logicalId, resourceType: e.resourceType, status: e.status, reason: e.reason ?? '' }));
  const rank = (f: ResourceFailure): number =>
    f.resourceType === 'AWS::CloudFormation::Stack' ? 2 : CANCELLED_REASON.test(f.reason) ? 1 : 0;
  return failed
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => f);
}

export interface FollowOptions {
  signal?: AbortSignal;
  pollIntervalMs: number;
  /** Events of earlier operations (from `latestEventIds`), not shown again. */
  seen: ReadonlySet<string>;
  onEvent?: (event: StackEvent) => void;
}

/**
 * The ids of a stack's newest events (one page), taken before an operation starts: what follows
 * is the operation's own. Ids, not times, so a local clock that is off cannot hide an event.
 */
export async function latestEventIds(
  cf: CloudFormationClient,
  stackId: string,
  signal?: AbortSignal,
): Promise<Set<string>> {
  try {
    const page = await cf.send(new DescribeStackEventsCommand({ StackName: stackId }), { abortSignal: signal });
    return new Set((page?.StackEvents ?? []).map((e) => e.EventId ?? ''));
  } catch (err) {
    if (isMissingStack(err)) return new Set();
    throw stackError(err, `read the events of stack ${stackId}`, stackId);
  }
}

/**
 * Streams a stack's new events (oldest first) until CloudFormation settles, and returns the
 * final stack and every event seen. Polls DescribeStackEvents (newest first, paged) and
 * DescribeStacks; follows the stack by its id so a deleted stack can still be read.
 */
export async function followStack(
  cf: CloudFormationClient,
  stackId: string,
  options: FollowOptions,
): Promise<{ stack: Stack | undefined; events: StackEvent[] }> {
  const seen = new Set<string>(options.seen);
  const events: StackEvent[] = [];
  const poll = async (): Promise<void> => {
    const fresh: SdkStackEvent[] = [];
    let token: string | undefined;
    pages: do {
      const page = await cf.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: token }), {
        abortSignal: options.signal,
      });
      for (const e of page.StackEvents ?? []) {
        if (seen.has(e.EventId ?? '')) break pages;
        fresh.push(e);
      }
      token = page.NextToken;
    } while (token);
    for (const e of fresh.reverse()) {
      seen.add(e.EventId ?? '');
      const event = toStackEvent(e);
      events.push(event);
      options.onEvent?.(event);
    }
  };
  for (;;) {
    throwIfAborted(options.signal);
    let stack: Stack | undefined;
    try {
      await poll();
      stack = (await cf.send(new DescribeStacksCommand({ StackName: stackId }), { abortSignal: options.signal }))
        .Stacks?.[0];
    } catch (err) {
      if (isMissingStack(err)) return { stack: undefined, events };
      throw stackError(err, `follow stack ${stackId}`, stackId);
    }
    if (!stack || isSettled(stack.StackStatus ?? '')) {
      await poll();
      return { stack, events };
    }
    await sleep(options.pollIntervalMs, options.signal);
  }
}
