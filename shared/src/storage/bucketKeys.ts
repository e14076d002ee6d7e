/** Key prefixes and s3:// URIs: how every part of Coldkeep names a place in the bucket. */
export const DEFAULT_PREFIX = 'coldkeep';

export function normalizePrefix(prefix: string | undefined): string {
  return (prefix ?? DEFAULT_PREFIX).replace(/^\/+|\/+$/g, '');
}

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}
