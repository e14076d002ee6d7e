import type { TemplateParameter } from '../ipc';

/**
 * Problems with one parameter's value against the template's own constraints (AllowedValues,
 * AllowedPattern, lengths, Number ranges). The same checks run again in main (validateParameters).
 */
export function parameterProblem(parameter: TemplateParameter, value: string): string | undefined {
  const label = parameter.constraintDescription ? ` (${parameter.constraintDescription})` : '';
  if (value === '' && parameter.default === undefined) return `${parameter.name} is required`;
  if (value === '') return undefined;
  if (parameter.allowedValues?.length && !parameter.allowedValues.includes(value)) {
    return `${parameter.name} must be one of ${parameter.allowedValues.join(', ')}`;
  }
  if (parameter.type === 'Number') {
    const number = Number(value);
    if (!Number.isFinite(number)) return `${parameter.name} must be a number`;
    if (parameter.minValue !== undefined && number < parameter.minValue)
      return `${parameter.name} must be at least ${parameter.minValue}`;
    if (parameter.maxValue !== undefined && number > parameter.maxValue)
      return `${parameter.name} must be at most ${parameter.maxValue}`;
  }
  if (parameter.minLength !== undefined && value.length < parameter.minLength)
    return `${parameter.name} needs at least ${parameter.minLength} characters${label}`;
  if (parameter.maxLength !== undefined && value.length > parameter.maxLength)
    return `${parameter.name} takes at most ${parameter.maxLength} characters${label}`;
  if (parameter.allowedPattern && !new RegExp(`^(?:${parameter.allowedPattern})$`).test(value)) {
    return `${parameter.name} does not match ${parameter.allowedPattern}${label}`;
  }
  return undefined;
}

/** The values to send: empty fields fall back to the template's defaults by leaving them out. */
export function parameterValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''));
}
