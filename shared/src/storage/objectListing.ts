import { ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { fromAwsError } from '../base/errors/fromAwsError';

/** Every object under a prefix (after `startAfter` when given), page by page (1000 keys a request). */
export async function* listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
  startAfter?: string,
): AsyncGenerator<_Object> {
  let token: string | undefined;
  do {
    const page = await s3
      .send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ContinuationToken: token,
          ...(startAfter && !token ? { StartAfter: startAfter } : {}),
        }),
        { abortSignal: signal },
      )
      .catch((err: unknown) => {
        throw fromAwsError(err, { doing: `list ${prefix}`, bucket });
      });
    yield* page.Contents ?? [];
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
