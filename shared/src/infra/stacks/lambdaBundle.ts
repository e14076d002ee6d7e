import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../base/aws/clients';
import { normalizePrefix } from '../../storage/bucketKeys';
import { ColdkeepError } from '../../base/errors/ColdkeepError';
import { fromAwsError } from '../../base/errors/fromAwsError';
import type { LoadedTemplate } from './templateCatalog';

/** Where the bundle went: the deploy fills the template's code parameters with these. */
export interface UploadedBundle {
  bucket: string;
  key: string;
  bytes: number;
  sha256: string;
  /** False when an object with the same content hash was already there. */
  uploaded: boolean;
}

/** The bundle's path: the option, else $COLDKEEP_LAMBDA_BUNDLE, else beside the templates (what `npm run build:lambda` writes). */
export function lambdaBundlePath(
  template: LoadedTemplate,
  override?: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!template.lambdaBundle) return undefined;
  const explicit = override ?? env.COLDKEEP_LAMBDA_BUNDLE;
  return explicit ? resolve(explicit) : join(template.directory, template.lambdaBundle.file);
}

/**
 * Uploads the template's Lambda bundle to the bucket its parameters name, under
 * `<prefix>/lambda/<file>-<hash>.zip`: the key changes with the content, so CloudFormation
 * updates the function exactly when the code changed, and an unchanged bundle is not sent again.
 */
export async function uploadLambdaBundle(
  clients: AwsClients,
  template: LoadedTemplate,
  values: Record<string, string>,
  options: { bundlePath?: string; signal?: AbortSignal } = {},
): Promise<UploadedBundle> {
  const spec = template.lambdaBundle!;
  const path = lambdaBundlePath(template, options.bundlePath)!;
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch (err) {
    throw new ColdkeepError(
      'LambdaBundleMissing',
      `The Lambda bundle ${path} for template "${template.name}" is missing.`,
      {
        hint: 'Build it with "npm run build:lambda" in the Coldkeep repository, or point COLDKEEP_LAMBDA_BUNDLE at the zip.',
        cause: err,
      },
    );
  }
  const bucket =
    values[spec.bucketParameter] || (spec.defaultBucketParameter ? values[spec.defaultBucketParameter] : undefined);
  if (!bucket) {
    throw new ColdkeepError('InvalidInput', `No bucket to upload the Lambda bundle of "${template.name}" to.`, {
      hint: `Give the stack parameter {setting:param=${spec.defaultBucketParameter ?? spec.bucketParameter}=BUCKET}.`,
    });
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  const prefix = normalizePrefix(spec.keyPrefixParameter ? values[spec.keyPrefixParameter] : undefined);
  const base = spec.file.replace(/^.*\//, '').replace(/\.zip$/, '');
  const key = `${prefix ? `${prefix}/` : ''}lambda/${base}-${sha256.slice(0, 16)}.zip`;
  const found = { bucket, key, bytes: body.length, sha256 };
  try {
    await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: options.signal });
    return { ...found, uploaded: false };
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw fromAwsError(err, { doing: `check the Lambda bundle in ${bucket}`, bucket });
  }
  try {
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/zip',
        // A bucket with Object Lock default retention refuses uploads without a checksum.
        ChecksumAlgorithm: 'SHA256',
      }),
      { abortSignal: options.signal },
    );
  } catch (err) {
    throw fromAwsError(err, { doing: `upload the Lambda bundle to ${bucket}`, bucket });
  }
  return { ...found, uploaded: true };
}
