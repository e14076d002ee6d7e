import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, ResourceProperties, SpecDatabase } from '@aws-cdk/service-spec-types';
import type { TemplateDocument } from '@coldkeep/shared';

/**
 * Checks a CloudFormation template against AWS's published resource specification (the
 * registry schemas, as packaged by @aws-cdk/aws-service-spec): every resource type exists,
 * every property is known with a value of the right shape, required properties are present,
 * and every GetAtt names an attribute the resource has. Intrinsic functions stand for values
 * known only at deploy time and are accepted where a value goes (Fn::If's branches are checked).
 */
export class ResourceSpec {
  private readonly db: SpecDatabase;

  constructor() {
    this.db = loadAwsServiceSpecSync();
  }

  resource(type: string): Resource | undefined {
    return this.db.lookup('resource', 'cloudFormationType', 'equals', type).at(0);
  }

  check(template: TemplateDocument): string[] {
    const problems: string[] = [];
    const resources = template.Resources ?? {};
    for (const [id, r] of Object.entries(resources)) {
      const spec = this.resource(r.Type);
      if (!spec) {
        problems.push(`${id}: unknown resource type ${r.Type}`);
        continue;
      }
      this.checkObject(`${id}.Properties`, r.Properties ?? {}, spec.properties, problems);
    }
    walk(template, (node, path) => {
      const getAtt = (node as Record<string, unknown>)['Fn::GetAtt'];
      if (getAtt !== undefined) {
        const [target, attribute] = typeof getAtt === 'string' ? splitOnce(getAtt) : (getAtt as [string, string]);
        this.checkAttribute(path, resources, target, attribute, problems);
      }
      const sub = (node as Record<string, unknown>)['Fn::Sub'];
      if (sub !== undefined) {
        const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? String(sub[0]) : '';
        for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = m[1]!;
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [target, attribute] = splitOnce(name);
            this.checkAttribute(path, resources, target, attribute, problems);
          }
        }
      }
    });
    return problems;
  }

  private checkAttribute(
    path: string,
    resources: NonNullable<TemplateDocument['Resources']>,
    target: string,
    attribute: string,
    problems: string[],
  ): void {
    const r = resources[target];
    if (!r) return problems.push(`${path}: GetAtt of unknown resource ${target}`) as unknown as void;
    const spec = this.resource(r.Type);
    if (spec && !(attribute in spec.attributes)) {
      problems.push(
        `${path}: ${r.Type} has no attribute ${attribute} (has ${Object.keys(spec.attributes).join(', ')})`,
      );
    }
  }

  private checkObject(path: string, value: unknown, properties: ResourceProperties, problems: string[]): void {
    if (isIntrinsic(value))
      return this.checkIntrinsic(path, value, (v, p) => this.checkObject(p, v, properties, problems));
    if (!isPlainObject(value)) return problems.push(`${path}: expected an object`) as unknown as void;
    for (const [key, v] of Object.entries(value)) {
      const property = properties[key];
      if (!property) {
        problems.push(`${path}.${key}: unknown property (known: ${Object.keys(properties).join(', ')})`);
        continue;
      }
      this.checkValue(`${path}.${key}`, v, property.type, problems);
    }
    for (const [key, property] of Object.entries(properties)) {
      if (property.required && !(key in value)) problems.push(`${path}: required property ${key} is missing`);
    }
  }

  private checkIntrinsic(
    path: string,
    value: Record<string, unknown>,
    branch: (v: unknown, path: string) => void,
  ): void {
    const args = value['Fn::If'];
    if (Array.isArray(args) && args.length === 3) {
      for (const i of [1, 2]) {
        if (!isNoValue(args[i])) branch(args[i], `${path}(If[${i}])`);
      }
    }
  }

  private checkValue(path: string, value: unknown, type: PropertyType, problems: string[]): void {
    if (isIntrinsic(value)) {
      return this.checkIntrinsic(path, value, (v, p) => this.checkValue(p, v, type, problems));
    }
    switch (type.type) {
      case 'string':
      case 'date-time':
        if (!['string', 'number', 'boolean'].includes(typeof value)) problems.push(`${path}: expected a string`);
        else if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(String(value)))
          problems.push(`${path}: "${String(value)}" is not one of ${type.allowedValues.join(', ')}`);
        return;
      case 'number':
      case 'integer':
        if (typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)))
          problems.push(`${path}: expected a number`);
        else if (type.type === 'integer' && !Number.isInteger(Number(value)))
          problems.push(`${path}: expected an integer`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false')
          problems.push(`${path}: expected a boolean`);
        return;
      case 'json':
        return;
      case 'null':
        if (value !== null) problems.push(`${path}: expected null`);
        return;
      case 'tag':
        return this.checkObject(path, value, TAG_PROPERTIES, problems);
      case 'ref': {
        const definition = this.db.get('typeDefinition', type.reference.$ref);
        return this.checkObject(path, value, definition.properties, problems);
      }
      case 'array':
        if (!Array.isArray(value)) return problems.push(`${path}: expected a list`) as unknown as void;
        value.forEach((v, i) => {
          if (!isNoValue(v)) this.checkValue(`${path}[${i}]`, v, type.element, problems);
        });
        return;
      case 'map':
        if (!isPlainObject(value)) return problems.push(`${path}: expected a map`) as unknown as void;
        for (const [k, v] of Object.entries(value)) this.checkValue(`${path}.${k}`, v, type.element, problems);
        return;
      case 'union': {
        const fits = type.types.some((t) => {
          const trial: string[] = [];
          this.checkValue(path, value, t, trial);
          return trial.length === 0;
        });
        if (!fits) problems.push(`${path}: fits none of the property's types`);
        return;
      }
    }
  }
}

const TAG_PROPERTIES: ResourceProperties = {
  Key: { type: { type: 'string' }, required: true },
  Value: { type: { type: 'string' }, required: true },
};

function splitOnce(text: string): [string, string] {
  const at = text.indexOf('.');
  return [text.slice(0, at), text.slice(at + 1)];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

export function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

function isNoValue(value: unknown): boolean {
  return isPlainObject(value) && value.Ref === 'AWS::NoValue';
}

/** Visits every object in a template with its path. */
export function walk(node: unknown, visit: (node: object, path: string) => void, path = ''): void {
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, visit, `${path}[${i}]`));
  else if (isPlainObject(node)) {
    visit(node, path);
    for (const [k, v] of Object.entries(node)) walk(v, visit, path ? `${path}.${k}` : k);
  }
}
