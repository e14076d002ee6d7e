import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lintPolicy } from '@coldkeep/shared';

const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  BucketName:
    Type: String
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Ref BucketName
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: { AWS: 'arn:aws:iam::111122223333:root' }
            Action: s3:GetObject
            Resource: !Sub 'arn:aws:s3:::\${BucketName}'
          - Effect: Allow
            Principal: { AWS: 'arn:aws:iam::111122223333:root' }
            Action: s3:ListBucket
            Resource: !Join ['', [!GetAtt Bucket.Arn, '/*']]
`;

describe('CloudFormation findings quote the template', () => {
  test('what is unknown until deployment reads as the template writes it (${BucketName}, ${Bucket.Arn})', async () => {
    const { findings } = await lintPolicy(TEMPLATE, { fileName: 'stack.yaml' });
    const object = findings.find((f) => f.code === 'ObjectActionOnBucket');
    assert.ok(object, findings.map((f) => f.code).join(', '));
    assert.match(object.message, /arn:aws:s3:::\$\{BucketName\} names the bucket itself/);
    assert.match(object.hint, /"arn:aws:s3:::\$\{BucketName\}\/\*"/);
    const bucket = findings.find((f) => f.code === 'BucketActionOnObject');
    assert.ok(bucket, findings.map((f) => f.code).join(', '));
    assert.match(bucket.message, /\$\{Bucket\.Arn\}\/\* names objects/);
    assert.match(bucket.hint, /"\$\{Bucket\.Arn\}"/);
    for (const f of findings) assert.doesNotMatch(`${f.message} ${f.hint}`, /\$\{…\}|\uE000/, f.code);
  });

  test('a parameter with a value is still judged and quoted as resolved', async () => {
    const withDefault = TEMPLATE.replace('    Type: String\n', '    Type: String\n    Default: acme-backups\n');
    const object = (await lintPolicy(withDefault, { fileName: 'stack.yaml' })).findings.find(
      (f) => f.code === 'ObjectActionOnBucket',
    );
    assert.match(object?.message ?? '', /arn:aws:s3:::acme-backups names the bucket itself/);
  });
});
