import { ColdkeepError } from '../errors/ColdkeepError';

/**
 * Why a name is not a valid S3 bucket name (general purpose buckets), or undefined when it is.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `it has ${name.length} characters; a bucket name has 3 to 63`;
  const bad = /[^a-z0-9.-]/.exec(name)?.[0];
  if (bad !== undefined) {
    return /[A-Z]/.test(bad)
      ? `it has the capital letter "${bad}"; a bucket name has only lowercase letters, digits, "." and "-"`
      : `it has the character "${bad}"; a bucket name has only lowercase letters, digits, "." and "-"`;
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'a bucket name begins and ends with a letter or digit';
  if (name.includes('..')) return 'a bucket name has no two periods in a row';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'a bucket name is not formatted as an IP address';
  const prefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((p) => name.startsWith(p));
  if (prefix) return `a bucket name does not begin with "${prefix}" (reserved by S3)`;
  const suffix = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].find((s) => name.endsWith(s));
  if (suffix) return `a bucket name does not end with "${suffix}" (reserved by S3)`;
  return undefined;
}

/** Fails with InvalidBucketName before any call, so a typo is not reported as a missing bucket. */
export function checkBucketName(name: string): void {
  // An access point or Outposts ARN stands for a bucket too; S3 checks those itself.
  if (name.startsWith('arn:')) return;
  const problem = bucketNameProblem(name);
  if (problem) {
    throw new ColdkeepError('InvalidBucketName', `"${name}" is not a valid S3 bucket name: ${problem}.`, {
      hint: 'Check {setting:bucket}: S3 bucket names are 3-63 lowercase letters, digits, "." and "-", beginning and ending with a letter or digit.',
      details: { bucket: name },
    });
  }
}
