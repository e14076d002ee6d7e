/** The values a policy snippet asks for, with the CLI flag that fills each (data only: the CLI's help needs it at start-up). */
export const PLACEHOLDERS = {
  Bucket: { description: 'backup bucket name', flag: '--bucket', example: 'acme-backups' },
  Prefix: {
    description: 'key prefix of the backups (empty for the bucket root)',
    flag: '--prefix',
    example: 'coldkeep',
  },
  Account: { description: 'account ID of the bucket, tables and key', flag: '--account', example: '111122223333' },
  Region: { description: 'region of the tables and key', flag: '--region', example: 'eu-west-1' },
  SourceAccount: {
    description: 'account ID that writes backups into the bucket',
    flag: '--source-account',
    example: '444455556666',
  },
  WriterRoleArn: {
    description: 'role(s) that write backups',
    flag: '--writer-role',
    example: 'arn:aws:iam::111122223333:role/coldkeep-backup',
    list: true,
  },
  ReaderRoleArn: {
    description: 'role(s) that restore backups',
    flag: '--reader-role',
    example: 'arn:aws:iam::111122223333:role/coldkeep-restore',
    list: true,
  },
  AdminRoleArn: {
    description: 'role(s) that administer the key',
    flag: '--admin-role',
    example: 'arn:aws:iam::111122223333:role/admin',
    list: true,
  },
  KmsKeyId: {
    description: 'ID of the backup KMS key (the part after "key/")',
    flag: '--kms-key',
    example: '1234abcd-12ab-34cd-56ef-1234567890ab',
  },
  Table: { description: 'DynamoDB table', flag: '--table', example: 'Orders' },
  TrailName: { description: 'CloudTrail trail name', flag: '--trail', example: 'coldkeep-audit' },
  FunctionName: { description: 'Lambda function name', flag: '--function', example: 'coldkeep-nightly' },
} as const satisfies Record<string, { description: string; flag: string; example: string; list?: boolean }>;
