import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseTemplateBody } from '@coldkeep/shared';

/**
 * A small CloudFormation over HTTP (the AWS query protocol, XML answers) for the end-to-end CLI
 * tests: no emulator serves CloudFormation, and an in-process mock cannot reach a child process.
 * It keeps stacks in memory: change sets list every resource as Add (create) or Modify (update),
 * an update with the same template and parameters has no changes, and executing settles at once,
 * with events. A parameter value "taken-bucket" makes BackupBucket fail and the stack roll back.
 * Loopback only.
 */
export interface FakeCloudFormation {
  endpoint: string;
  /** Every action called, in order (e.g. "CreateChangeSet"). */
  calls: string[];
  stop(): Promise<void>;
}

interface FakeEvent {
  id: string;
  logicalId: string;
  type: string;
  status: string;
  reason?: string;
  physicalId?: string;
  time: Date;
}

interface FakeStack {
  name: string;
  id: string;
  status: string;
  body?: string;
  params: Record<string, string>;
  events: FakeEvent[];
  outputs: Record<string, string>;
  changeSet?: { id: string; type: string; body: string; params: Record<string, string>; changes: string[][] };
}

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const escape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const el = (name: string, value: string | undefined): string =>
  value === undefined ? '' : `<${name}>${escape(value)}</${name}>`;
const members = (name: string, items: string[]): string =>
  `<${name}>${items.map((i) => `<member>${i}</member>`).join('')}</${name}>`;

export async function startFakeCloudFormation(): Promise<FakeCloudFormation> {
  const stacks = new Map<string, FakeStack>();
  const calls: string[] = [];
  let counter = 0;
  const find = (nameOrId: string): FakeStack | undefined =>
    stacks.get(nameOrId) ?? [...stacks.values()].find((s) => s.id === nameOrId);
  const addEvent = (s: FakeStack, logicalId: string, type: string, status: string, reason?: string): void => {
    counter++;
    s.events.push({
      id: `ev-${counter}`,
      logicalId,
      type,
      status,
      time: new Date(Date.now() + counter),
      ...(reason ? { reason } : {}),
    });
  };

  const answer = (action: string, q: URLSearchParams): { status: number; xml: string } => {
    const ok = (result: string): { status: number; xml: string } => ({
      status: 200,
      xml: `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`,
    });
    const fail = (code: string, message: string): { status: number; xml: string } => ({
      status: 400,
      xml: `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
    });
    const stackName = q.get('StackName') ?? '';
    const stack = find(stackName);
    switch (action) {
      case 'DescribeStacks': {
        if (!stack || (stack.status === 'DELETE_COMPLETE' && stackName === stack.name))
          return fail('ValidationError', `Stack with id ${stackName} does not exist`);
        const body = [
          el('StackName', stack.name),
          el('StackId', stack.id),
          el('StackStatus', stack.status),
          el('CreationTime', new Date().toISOString()),
          members(
            'Parameters',
            Object.entries(stack.params).map(([k, v]) => el('ParameterKey', k) + el('ParameterValue', v)),
          ),
          members(
            'Outputs',
            Object.entries(stack.outputs).map(([k, v]) => el('OutputKey', k) + el('OutputValue', v)),
          ),
          members('Tags', [el('Key', 'coldkeep:template') + el('Value', 'backup-bucket')]),
        ].join('');
        return ok(members('Stacks', [body]));
      }
      case 'CreateChangeSet': {
        const type = q.get('ChangeSetType') ?? 'UPDATE';
        const params: Record<string, string> = {};
        for (let i = 1; q.has(`Parameters.member.${i}.ParameterKey`); i++) {
          const key = q.get(`Parameters.member.${i}.ParameterKey`)!;
          params[key] =
            q.get(`Parameters.member.${i}.UsePreviousValue`) === 'true'
              ? (stack?.params[key] ?? '')
              : (q.get(`Parameters.member.${i}.ParameterValue`) ?? '');
        }
        const body = q.get('TemplateBody') ?? '';
        if (type === 'CREATE' && stack && stack.status !== 'DELETE_COMPLETE' && stack.status !== 'REVIEW_IN_PROGRESS')
          return fail('AlreadyExistsException', `Stack [${stackName}] already exists`);
        const target =
          stack && stack.status !== 'DELETE_COMPLETE'
            ? stack
            : {
                name: stackName,
                id: `arn:aws:cloudformation:us-east-1:111122223333:stack/${stackName}/${++counter}`,
                status: 'REVIEW_IN_PROGRESS',
                params: {},
                events: [],
                outputs: {},
              };
        stacks.set(stackName, target);
        const resources = Object.entries(parseTemplateBody('x', body).document.Resources ?? {});
        const same =
          type === 'UPDATE' && target.body === body && JSON.stringify(target.params) === JSON.stringify(params);
        const changes = same ? [] : resources.map(([id, r]) => [type === 'CREATE' ? 'Add' : 'Modify', id, r.Type]);
        target.changeSet = {
          id: `arn:aws:cloudformation:us-east-1:111122223333:changeSet/${q.get('ChangeSetName')}/${++counter}`,
          type,
          body,
          params,
          changes,
        };
        return ok(el('Id', target.changeSet.id) + el('StackId', target.id));
      }
      case 'DescribeChangeSet': {
        const cs = stack?.changeSet;
        if (!stack || !cs) return fail('ChangeSetNotFound', 'ChangeSet does not exist');
        if (cs.changes.length === 0) {
          return ok(
            el('Status', 'FAILED') +
              el(
                'StatusReason',
                "The submitted information didn't contain changes. Submit different information to create a change set.",
              ) +
              el('StackId', stack.id),
          );
        }
        return ok(
          el('Status', 'CREATE_COMPLETE') +
            el('StackId', stack.id) +
            members(
              'Changes',
              cs.changes.map(
                ([action, id, type]) =>
                  el('Type', 'Resource') +
                  `<ResourceChange>${el('Action', action)}${el('LogicalResourceId', id)}${el('ResourceType', type)}</ResourceChange>`,
              ),
            ),
        );
      }
      case 'DeleteChangeSet':
        if (stack) delete stack.changeSet;
        return ok('');
      case 'ExecuteChangeSet': {
        const cs = stack?.changeSet;
        if (!stack || !cs) return fail('ChangeSetNotFound', 'ChangeSet does not exist');
        const verb = cs.type === 'CREATE' ? 'CREATE' : 'UPDATE';
        const document = parseTemplateBody('x', cs.body).document;
        addEvent(stack, stack.name, 'AWS::CloudFormation::Stack', `${verb}_IN_PROGRESS`);
        const taken = Object.values(cs.params).includes('taken-bucket');
        for (const [, id, type] of cs.changes) {
          if (taken && id === 'BackupBucket') {
            addEvent(stack, id!, type!, `${verb}_FAILED`, 'taken-bucket already exists');
            break;
          }
          addEvent(stack, id!, type!, `${verb}_COMPLETE`);
        }
        if (taken) {
          stack.status = verb === 'CREATE' ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
          addEvent(stack, stack.name, 'AWS::CloudFormation::Stack', stack.status);
        } else {
          stack.status = `${verb}_COMPLETE`;
          stack.body = cs.body;
          stack.params = cs.params;
          stack.outputs = Object.fromEntries(
            Object.keys(document.Outputs ?? {}).map((k) => [k, `${k.toLowerCase()}-value`]),
          );
          addEvent(stack, stack.name, 'AWS::CloudFormation::Stack', stack.status);
        }
        delete stack.changeSet;
        return ok('');
      }
      case 'DescribeStackEvents': {
        if (!stack) return fail('ValidationError', `Stack with id ${stackName} does not exist`);
        return ok(
          members(
            'StackEvents',
            [...stack.events]
              .reverse()
              .map(
                (e) =>
                  el('EventId', e.id) +
                  el('StackId', stack.id) +
                  el('StackName', stack.name) +
                  el('LogicalResourceId', e.logicalId) +
                  el('ResourceType', e.type) +
                  el('ResourceStatus', e.status) +
                  el('ResourceStatusReason', e.reason) +
                  el('PhysicalResourceId', e.physicalId) +
                  el('Timestamp', e.time.toISOString()),
              ),
          ),
        );
      }
      case 'DeleteStack': {
        if (!stack) return ok('');
        addEvent(stack, stack.name, 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS');
        const document = stack.body ? parseTemplateBody('x', stack.body).document : {};
        for (const [id, r] of Object.entries(document.Resources ?? {})) {
          const kept = r.DeletionPolicy === 'Retain';
          addEvent(stack, id, r.Type, kept ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE');
        }
        stack.status = 'DELETE_COMPLETE';
        addEvent(stack, stack.name, 'AWS::CloudFormation::Stack', 'DELETE_COMPLETE');
        return ok('');
      }
      default:
        return fail('InvalidAction', `The fake does not serve ${action}`);
    }
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const q = new URLSearchParams(body);
      const action = q.get('Action') ?? '';
      calls.push(action);
      const { status, xml } = answer(action, q);
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(xml);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
