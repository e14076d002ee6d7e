import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { parseYamlLocated, toPlain } from '../policy/located';
import type { TemplateDocument } from './templateDocument';
import {
  checkParameters,
  type ParameterProblem,
  type TemplateParameter,
  templateParametersOf,
} from './templateParameters';

/** Where to find the templates: by default the repository's `infra-templates/` or a packaged app's copy. */
export interface TemplateSource {
  /** A folder of `<name>.yaml` templates; wins over COLDKEEP_TEMPLATES_DIR and the built-in lookup. */
  templatesDir?: string;
}

export interface TemplateSummary {
  name: string;
  description: string;
  parameters: TemplateParameter[];
  /** The stack name `stack deploy` uses unless told otherwise. */
  defaultStackName: string;
  /** The template runs Coldkeep's Lambda bundle, which a deploy uploads first. */
  needsLambdaBundle: boolean;
}

/** Where a template's Lambda bundle comes from and which parameters a deploy fills in for it. */
export interface LambdaBundleSpec {
  /** Path of the zip, relative to the templates folder. */
  file: string;
  /** Parameter naming the bucket the zip is uploaded to. */
  bucketParameter: string;
  /** Parameter naming the object key of the zip. */
  keyParameter: string;
  /** Parameter whose value is the bucket when `bucketParameter` is empty. */
  defaultBucketParameter?: string;
  /** Parameter whose value prefixes the key (like the backups' prefix). */
  keyPrefixParameter?: string;
}

/** A loaded template: its text (sent to CloudFormation as is) and its plain JSON form. */
export interface LoadedTemplate {
  name: string;
  path: string;
  directory: string;
  body: string;
  /** The template as data; intrinsic functions in their JSON form ({"Ref": …}, {"Fn::Sub": …}). */
  document: TemplateDocument;
  description: string;
  parameters: TemplateParameter[];
  lambdaBundle?: LambdaBundleSpec;
}

const TEMPLATE_EXTENSION = '.yaml';
const FOLDER = 'infra-templates';

/** The stack name a template is deployed as by default. */
export function defaultStackName(template: string): string {
  return `coldkeep-${template}`;
}

/**
 * The templates folder: the option, else $COLDKEEP_TEMPLATES_DIR, else a packaged Electron
 * app's resources (`<resources>/infra-templates`), else `infra-templates/` found by walking up
 * from this file (the repository, and node_modules installs inside it).
 */
export function templatesDirectory(source: TemplateSource = {}, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = source.templatesDir ?? env.COLDKEEP_TEMPLATES_DIR;
  if (explicit) {
    const dir = resolve(explicit);
    if (!isDirectory(dir)) {
      throw new ColdkeepError('NoSuchTemplate', `The templates folder ${dir} does not exist.`, {
        hint: source.templatesDir
          ? 'Pass the folder that holds the .yaml templates (infra-templates/).'
          : 'Point COLDKEEP_TEMPLATES_DIR at the folder that holds the .yaml templates, or unset it.',
      });
    }
    return dir;
  }
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (resourcesPath && isDirectory(join(resourcesPath, FOLDER))) return join(resourcesPath, FOLDER);
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (isDirectory(join(dir, FOLDER))) return join(dir, FOLDER);
    if (dirname(dir) === dir) break;
  }
  throw new ColdkeepError('NoSuchTemplate', 'Cannot find the infra-templates folder.', {
    hint: 'Set COLDKEEP_TEMPLATES_DIR to the folder that holds the .yaml templates.',
  });
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Names of the templates in the folder (file names without .yaml), sorted. */
export function templateNames(source: TemplateSource = {}): string[] {
  const dir = templatesDirectory(source);
  return readdirSync(dir)
    .filter((f) => f.endsWith(TEMPLATE_EXTENSION))
    .map((f) => f.slice(0, -TEMPLATE_EXTENSION.length))
    .sort();
}

/** Reads and parses one template; a name that is not in the catalogue gets the list of names as a hint. */
export function loadTemplate(name: string, source: TemplateSource = {}): LoadedTemplate {
  const directory = templatesDirectory(source);
  const names = templateNames({ templatesDir: directory });
  if (!names.includes(name)) {
    throw new ColdkeepError('NoSuchTemplate', `There is no template "${name}".`, {
      hint: `Choose one of: ${names.join(', ')} ("coldkeep stack templates" describes them).`,
    });
  }
  const path = join(directory, name + TEMPLATE_EXTENSION);
  const body = readFileSync(path, 'utf8');
  return { name, path, directory, body, ...parseTemplateBody(name, body) };
}

/** Parses template text (YAML with CloudFormation's short-form tags, or JSON). */
export function parseTemplateBody(
  name: string,
  body: string,
): Pick<LoadedTemplate, 'document' | 'description' | 'parameters' | 'lambdaBundle'> {
  // The policy linter's YAML reader: the `yaml` package with a schema for !Ref, !Sub, !GetAtt, …
  const parsed = parseYamlLocated(body);
  if (parsed.problems.length || !parsed.root || parsed.root.kind !== 'object') {
    throw new ColdkeepError(
      'TemplateInvalid',
      `Template "${name}" cannot be read: ${parsed.problems[0]?.message ?? 'it is not a mapping'}.`,
      { hint: 'Check the YAML; "coldkeep policy lint FILE" points at the line.' },
    );
  }
  const document = toPlain(parsed.root) as TemplateDocument;
  const lambdaBundle = lambdaBundleOf(document);
  return {
    document,
    description: typeof document.Description === 'string' ? document.Description.trim() : '',
    parameters: templateParametersOf(document, lambdaBundle ? [lambdaBundle.keyParameter] : []),
    ...(lambdaBundle ? { lambdaBundle } : {}),
  };
}

function lambdaBundleOf(document: TemplateDocument): LambdaBundleSpec | undefined {
  const coldkeep = document.Metadata?.Coldkeep as { LambdaBundle?: Record<string, unknown> } | undefined;
  const spec = coldkeep?.LambdaBundle;
  if (!spec) return undefined;
  const text = (key: string): string | undefined => (typeof spec[key] === 'string' ? (spec[key] as string) : undefined);
  const file = text('File');
  const bucketParameter = text('BucketParameter');
  const keyParameter = text('KeyParameter');
  if (!file || !bucketParameter || !keyParameter) return undefined;
  const defaultBucketParameter = text('DefaultBucketParameter');
  const keyPrefixParameter = text('KeyPrefixParameter');
  return {
    file,
    bucketParameter,
    keyParameter,
    ...(defaultBucketParameter ? { defaultBucketParameter } : {}),
    ...(keyPrefixParameter ? { keyPrefixParameter } : {}),
  };
}

function summaryOf(template: LoadedTemplate): TemplateSummary {
  return {
    name: template.name,
    description: template.description,
    parameters: template.parameters,
    defaultStackName: defaultStackName(template.name),
    needsLambdaBundle: template.lambdaBundle !== undefined,
  };
}

/** Every template in the catalogue, with its description and parameters (enough to build a form). */
export async function listTemplates(source: TemplateSource = {}): Promise<TemplateSummary[]> {
  const directory = templatesDirectory(source);
  return templateNames({ templatesDir: directory }).map((name) =>
    summaryOf(loadTemplate(name, { templatesDir: directory })),
  );
}

/** One template's parameters, in the template's order. */
export async function templateParameters(name: string, source: TemplateSource = {}): Promise<TemplateParameter[]> {
  return loadTemplate(name, source).parameters;
}

/**
 * Checks parameter values for a deploy of `name` against the template, before any AWS call:
 * unknown names, missing required values, types, allowed values, patterns, lengths, ranges,
 * list items and the template's Rules. An empty list means the values are fine.
 */
export function validateParameters(
  name: string,
  params: Record<string, string>,
  source: TemplateSource = {},
): ParameterProblem[] {
  const template = loadTemplate(name, source);
  return checkParameters(template.document, template.parameters, params);
}
