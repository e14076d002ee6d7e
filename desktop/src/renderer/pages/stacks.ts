import type {
  ChangePreview,
  Deployment,
  DeploymentPhase,
  StackInput,
  TemplateInfo,
  TemplateParameter,
} from '../../ipc';
import { busy, errorBox, h, replaceChildren, table } from '../dom';
import { parameterProblem, parameterValues } from '../stackForm';
import type { Page } from './page';

const PHASES: Record<DeploymentPhase, string> = {
  starting: 'starting',
  upload: 'Lambda bundle uploaded',
  'change-set': 'preparing the change set',
  changes: 'change set ready',
  execute: 'executing the change set',
  done: 'done',
};

function changeTable(changes: ChangePreview[], id: string): HTMLElement {
  return changes.length
    ? table(
        ['Action', 'Resource', 'Type', 'Replacement'],
        changes.map((c) =>
          [c.action, c.logicalId, c.resourceType, c.replacement ?? ''].map((t) => document.createTextNode(t)),
        ),
        { id },
      )
    : h('p', { class: 'muted', id }, 'No changes: the stack already matches the template and these values.');
}

function field(parameter: TemplateParameter): { element: HTMLElement; value: () => string } {
  const id = `param-${parameter.name}`;
  let input: HTMLInputElement | HTMLSelectElement;
  if (parameter.allowedValues?.length) {
    input = h(
      'select',
      { id, name: parameter.name },
      ...parameter.allowedValues.map((v) => h('option', { value: v, selected: v === parameter.default }, v)),
    );
  } else {
    input = h('input', {
      id,
      name: parameter.name,
      type: parameter.noEcho ? 'password' : parameter.type === 'Number' ? 'number' : 'text',
      value: parameter.default ?? '',
      placeholder: parameter.default ?? '',
    });
  }
  const problem = h('span', { class: 'field-problem', id: `${id}-problem` });
  const check = (): void => replaceChildren(problem, parameterProblem(parameter, input.value) ?? '');
  input.addEventListener('input', check);
  input.addEventListener('change', check);
  return {
    element: h(
      'label',
      { class: 'field' },
      h('span', { class: 'field-name' }, parameter.name),
      input,
      parameter.description ? h('small', {}, parameter.description) : null,
      problem,
    ),
    value: () => input.value,
  };
}

export const stacksPage: Page = async (root, api) => {
  const status = h('div', { class: 'status', id: 'stacks-status' });
  const templateSelect = h('select', { id: 'stack-template', 'aria-label': 'Template' });
  const stackName = h('input', { id: 'stack-name', 'aria-label': 'Stack name', placeholder: 'coldkeep-backup-bucket' });
  const form = h('div', { id: 'stack-form', class: 'form' });
  const preview = h('div', { id: 'stack-preview' });
  const progress = h('div', { id: 'stack-progress' });
  const previewButton = h('button', { id: 'stack-preview-button' }, 'Preview Changes');
  const deployButton = h('button', { id: 'stack-deploy', disabled: true }, 'Deploy');
  const note = h('p', { class: 'muted', id: 'stack-note' });
  let templates: TemplateInfo[] = [];
  let defaultName = '';
  let fields: { parameter: TemplateParameter; value: () => string }[] = [];
  let poll: ReturnType<typeof setInterval> | undefined;

  const input = (): StackInput => {
    const problems = fields
      .map((f) => parameterProblem(f.parameter, f.value()))
      .filter((p): p is string => p !== undefined);
    if (!stackName.value) problems.unshift('the stack needs a name');
    if (problems.length)
      throw Object.assign(new Error(`Check the form: ${problems.join('; ')}.`), { code: 'InvalidInput' });
    return {
      template: templateSelect.value,
      stackName: stackName.value,
      parameters: parameterValues(Object.fromEntries(fields.map((f) => [f.parameter.name, f.value()]))),
    };
  };

  // Deploy sends exactly the input that was previewed; any edit (even during the preview) asks
  // for a new preview first.
  let previewed: StackInput | undefined;
  let edits = 0;
  const invalidatePreview = (): void => {
    edits++;
    previewed = undefined;
    deployButton.disabled = true;
  };
  const loadForm = async (): Promise<void> => {
    replaceChildren(preview);
    invalidatePreview();
    const template = templates.find((t) => t.name === templateSelect.value);
    const parameters = await api.templateParameters({ template: templateSelect.value });
    // Parameters the deploy fills in itself (the uploaded Lambda bundle's key) are not asked for.
    const built = parameters.filter((p) => !p.filledByDeploy).map((parameter) => ({ parameter, ...field(parameter) }));
    fields = built;
    replaceChildren(form, ...built.map((f) => f.element));
    if (!stackName.value || stackName.value === defaultName) stackName.value = template?.defaultStackName ?? '';
    defaultName = template?.defaultStackName ?? '';
    replaceChildren(
      note,
      template?.description ?? '',
      template?.needsLambdaBundle
        ? h(
            'span',
            { class: 'lambda-note' },
            " Preview and Deploy first upload Coldkeep's Lambda bundle to the bucket named here (once per version).",
          )
        : null,
    );
  };

  const showDeployment = (deployment: Deployment): void => {
    const state =
      deployment.state === 'running'
        ? `running: ${PHASES[deployment.phase]}`
        : deployment.state === 'succeeded'
          ? `succeeded${deployment.noChanges ? ' (no changes)' : ''}${deployment.status ? `: ${deployment.status}` : ''}`
          : `failed${deployment.status ? `: ${deployment.status}` : ''}`;
    replaceChildren(
      progress,
      h('p', { class: `deploy-state ${deployment.state}`, id: 'deploy-state' }, `${deployment.stackName}: ${state}`),
      table(
        ['Time', 'Resource', 'Type', 'Status', 'Reason'],
        deployment.events.map((e) =>
          [e.timestamp, e.logicalId, e.resourceType, e.status, e.reason ?? ''].map((t) => document.createTextNode(t)),
        ),
        { id: 'stack-events' },
      ),
      deployment.outputs.length
        ? h(
            'section',
            { id: 'stack-outputs' },
            h('h3', {}, 'Outputs'),
            table(
              ['Output', 'Value', 'Description'],
              deployment.outputs.map((o) => [
                document.createTextNode(o.key),
                h('code', { class: 'output-value' }, o.value),
                document.createTextNode(o.description ?? ''),
              ]),
            ),
          )
        : null,
      deployment.error ? errorBox(Object.assign(new Error(deployment.error.message), deployment.error)) : null,
    );
  };

  form.addEventListener('input', invalidatePreview);
  form.addEventListener('change', invalidatePreview);
  stackName.addEventListener('input', invalidatePreview);

  templateSelect.addEventListener(
    'change',
    () => void loadForm().catch((err: unknown) => replaceChildren(status, errorBox(err))),
  );
  previewButton.addEventListener(
    'click',
    () =>
      void busy(previewButton, status, async () => {
        invalidatePreview();
        const asked = input();
        const editsBefore = edits;
        const changes = await api.previewStack(asked);
        replaceChildren(preview, h('h3', {}, 'Change set'), changeTable(changes, 'change-set'));
        if (edits === editsBefore) previewed = asked;
      }).then(() => {
        deployButton.disabled = previewed === undefined;
      }),
  );
  deployButton.addEventListener(
    'click',
    () =>
      void busy(deployButton, status, async () => {
        if (!previewed) throw Object.assign(new Error('Preview the changes first.'), { code: 'InvalidInput' });
        const { deploymentId } = await api.deployStack(previewed);
        if (poll) clearInterval(poll);
        const refresh = async (): Promise<void> => {
          const deployment = await api.getDeployment({ deploymentId });
          showDeployment(deployment);
          if (deployment.state !== 'running' && poll) clearInterval(poll);
        };
        poll = setInterval(() => void refresh().catch((err: unknown) => replaceChildren(status, errorBox(err))), 1000);
        await refresh();
      }).then(() => {
        // One deploy per preview.
        previewed = undefined;
        deployButton.disabled = true;
      }),
  );

  replaceChildren(
    root,
    h('h2', {}, 'Stacks'),
    h(
      'p',
      { class: 'muted' },
      'Deploy a bundled CloudFormation template: check the parameters, preview the change set, then deploy and watch its events.',
    ),
    h(
      'div',
      { class: 'toolbar' },
      h('label', {}, 'Template ', templateSelect),
      h('label', {}, ' Stack name ', stackName),
    ),
    note,
    form,
    h('div', { class: 'toolbar' }, previewButton, deployButton),
    status,
    preview,
    progress,
  );
  try {
    templates = await api.listTemplates();
    replaceChildren(
      templateSelect,
      ...templates.map((t) => h('option', { value: t.name, title: t.description }, t.name)),
    );
    if (templates.length) await loadForm();
  } catch (err) {
    previewButton.disabled = true;
    replaceChildren(status, errorBox(err));
  }
  return () => {
    if (poll) clearInterval(poll);
  };
};
