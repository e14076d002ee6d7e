// The core's own check of one value, bundled into the page: the form says exactly what main's
// validateParameters (and the CLI) will say. The module is plain code with no Node imports.
import { checkParameterValue } from '@coldkeep/shared/browser';
import type { TemplateParameter } from '../ipc';

/**
 * The first problem with one parameter's value against the template's constraints (type,
 * AllowedValues, AllowedPattern, lengths, ranges, list items), or undefined. An empty field falls
 * back to the template's default, so it is a problem only for a parameter without one. Rules
 * over several values are checked in main (validateParameters).
 */
export function parameterProblem(parameter: TemplateParameter, value: string): string | undefined {
  if (value === '')
    return parameter.required && !parameter.filledByDeploy ? `${parameter.name} is required` : undefined;
  return checkParameterValue(parameter, value)[0]?.message;
}

/** The values to send: empty fields fall back to the template's defaults by leaving them out. */
export function parameterValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''));
}
