/**
 * What each Coldkeep operation calls in AWS, and on what: the one table the least-privilege
 * policy is generated from. The integration suite records every SDK call the code really makes
 * and proves, with an IAM policy simulator, that the generated policy allows each of them and
 * grants nothing the code never calls (test/integration/policyDrift.test.ts). Edit this table
 * together with the code that makes the calls.
 */

export const CORE_OPERATIONS = [
  'tables-list',
  'backup-table',
  'backup-table-export',
  'list-backups',
  'delete-backup',
  'clean-backups',
  'restore',
  'restore-import',
  'drill',
  'drill-import',
  'drill-folder',
  'files',
  'notify',
  'stacks',
] as const;
export type CoreOperation = (typeof CORE_OPERATIONS)[number];

/**
 * What an action is granted on. Object scopes follow the backup layout (backup/layout.ts):
 * `<prefix>/tables/<account>/<region>/<table>/…` and `<prefix>/files/…`.
 */
export type ResourceScope =
  /** The action has no resource-level permissions: Resource "*". */
  | 'any'
  /** Each table given (--table). */
  | 'table'
  /** Every table in the account and region. */
  | 'all-tables'
  /** The backup bucket itself. */
  | 'bucket'
  /** The backups of the tables given: <prefix>/tables/<account>/<region>/<table>/* */
  | 'table-backups'
  /** Every table backup under the prefix: <prefix>/tables/* */
  | 'all-table-backups'
  /** Folder snapshots: <prefix>/files/* */
  | 'file-snapshots'
  /** The KMS key of SSE-KMS (--kms-key). */
  | 'kms-key'
  /** The KMS key that wraps encrypted folder sources' keys (--wrap-kms-key); called directly, not via S3. */
  | 'wrap-kms-key'
  /** The SES identity mail is sent from. */
  | 'email-identity'
  /** Coldkeep's CloudFormation stacks (coldkeep-*). */
  | 'stacks'
  /** The Lambda bundles a stack deploy uploads: <prefix>/lambda/* */
  | 'lambda-bundles'
  /** DynamoDB exports of the tables given: table/<table>/export/* */
  | 'table-exports'
  /** DynamoDB imports into the tables given: table/<table>/import/* */
  | 'table-imports'
  /** The CloudWatch log groups ImportTable writes failed items to: /aws-dynamodb/* */
  | 'import-log-groups'
  /** A restore drill's scratch tables: table/coldkeep-drill-<table>-* (never a real table) */
  | 'scratch-tables'
  /** DynamoDB imports into scratch tables (their import ARNs, under each scratch table). */
  | 'scratch-imports';

/** Options that make the code call more: each adds the grants marked with it. */
export type Feature =
  /** Objects are written with SSE-KMS, or read back from a bucket that uses it. */
  | 'sse-kms'
  /** Backups are written with Object Lock retention (--lock-mode). */
  | 'object-lock'
  /** The bucket keeps versions: restore and verify read the data files' backed-up versions. */
  | 'versioned-bucket'
  /** Encrypted folder sources whose key is wrapped by a KMS key (files key add --kms-key). */
  | 'key-wrap-kms';

export interface ActionGrant {
  /** IAM action, as spelled in the Service Authorization Reference. */
  action: string;
  on: ResourceScope;
  /** The SDK calls (service.Operation) that need it. */
  calls: string[];
  /** Only when this option is used; always otherwise. */
  feature?: Feature;
  /** When and why the code calls it. */
  why: string;
}

export interface OperationDeclaration {
  name: CoreOperation;
  /**
   * "available": built, and proven by the policy-drift test against the emulators.
   * "aws-only": built, but it calls services no emulator serves (DynamoDB export/import,
   * CloudFormation): its calls are checked with aws-sdk-client-mock, the policy is not simulated.
   * "planned": the capability is not built yet; its grants are declared for the front ends and are not proven.
   */
  status: 'available' | 'aws-only' | 'planned';
  /** The CLI commands that run it. */
  commands: string[];
  summary: string;
  grants: ActionGrant[];
}

const KMS_WRITE: ActionGrant[] = [
  {
    action: 'kms:GenerateDataKey',
    on: 'kms-key',
    calls: ['s3.PutObject', 's3.CreateMultipartUpload'],
    feature: 'sse-kms',
    why: 'S3 asks KMS for a data key for each object written with SSE-KMS (once per bucket key with BucketKeyEnabled)',
  },
  {
    action: 'kms:Decrypt',
    on: 'kms-key',
    calls: ['s3.CreateMultipartUpload'],
    feature: 'sse-kms',
    why: 'a multipart upload with SSE-KMS needs kms:Decrypt to complete',
  },
];

const KMS_READ: ActionGrant = {
  action: 'kms:Decrypt',
  on: 'kms-key',
  calls: ['s3.GetObject'],
  feature: 'sse-kms',
  why: 'reading an object stored with SSE-KMS',
};

export const ACTION_TABLE: readonly OperationDeclaration[] = [
  {
    name: 'tables-list',
    status: 'available',
    commands: ['tables list'],
    summary: 'list the tables of a region with their sizes',
    grants: [
      { action: 'dynamodb:ListTables', on: 'any', calls: ['dynamodb.ListTables'], why: 'the table names' },
      {
        action: 'dynamodb:DescribeTable',
        on: 'all-tables',
        calls: ['dynamodb.DescribeTable'],
        why: 'item count, size and keys of each table',
      },
      {
        action: 'dynamodb:DescribeTimeToLive',
        on: 'all-tables',
        calls: ['dynamodb.DescribeTimeToLive'],
        why: 'describeTable reads the TTL setting too (a denial is tolerated)',
      },
    ],
  },
  {
    name: 'backup-table',
    status: 'available',
    commands: ['backup table'],
    summary: 'back up a table: scan, write gzip data files and the manifest',
    grants: [
      {
        action: 'dynamodb:DescribeTable',
        on: 'table',
        calls: ['dynamodb.DescribeTable'],
        why: 'the schema saved in the manifest, and the size that picks the segment count',
      },
      {
        action: 'dynamodb:DescribeTimeToLive',
        on: 'table',
        calls: ['dynamodb.DescribeTimeToLive'],
        why: 'the TTL setting saved in the manifest',
      },
      { action: 'dynamodb:Scan', on: 'table', calls: ['dynamodb.Scan'], why: 'the segmented parallel scan' },
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.HeadBucket'],
        why: 'checkBucket fails early when the bucket is missing or closed (HeadBucket needs s3:ListBucket)',
      },
      {
        action: 's3:PutObject',
        on: 'table-backups',
        calls: ['s3.PutObject', 's3.CreateMultipartUpload', 's3.UploadPart', 's3.CompleteMultipartUpload'],
        why: 'data files (single or multipart upload) and the manifest',
      },
      {
        action: 's3:PutObjectTagging',
        on: 'table-backups',
        calls: ['s3.PutObjectTagging'],
        why: 'the lifecycle tag on each data file (lib-storage Upload tags after the upload)',
      },
      {
        action: 's3:AbortMultipartUpload',
        on: 'table-backups',
        calls: ['s3.AbortMultipartUpload'],
        why: 'on failure or cancel: abort the data file being uploaded, so no parts are left',
      },
      {
        action: 's3:DeleteObject',
        on: 'table-backups',
        calls: ['s3.DeleteObjects'],
        why: 'on failure or cancel: remove the finished data files of a backup that gets no manifest',
      },
      {
        action: 's3:PutObjectRetention',
        on: 'table-backups',
        calls: ['s3.PutObject', 's3.CreateMultipartUpload'],
        feature: 'object-lock',
        why: 'uploads that set an Object Lock mode and retain-until date',
      },
      ...KMS_WRITE,
    ],
  },
  {
    name: 'backup-table-export',
    status: 'aws-only',
    commands: ['backup table --engine export', 'backup table --engine auto', 'backup table --incremental'],
    summary:
      "back up a table with DynamoDB's managed export (full or incremental): AWS writes the data, Coldkeep the manifest",
    grants: [
      {
        action: 'dynamodb:DescribeTable',
        on: 'table',
        calls: ['dynamodb.DescribeTable'],
        why: 'the schema saved in the manifest, and the size auto decides on',
      },
      {
        action: 'dynamodb:DescribeTimeToLive',
        on: 'table',
        calls: ['dynamodb.DescribeTimeToLive'],
        why: 'the TTL setting saved in the manifest',
      },
      {
        action: 'dynamodb:DescribeContinuousBackups',
        on: 'table',
        calls: ['dynamodb.DescribeContinuousBackups'],
        why: 'is point-in-time recovery on (exports need it), and its window for --at and incremental backups',
      },
      {
        action: 'dynamodb:ExportTableToPointInTime',
        on: 'table',
        calls: ['dynamodb.ExportTableToPointInTime'],
        why: 'start the full or incremental export into the backup folder',
      },
      {
        action: 'dynamodb:DescribeExport',
        on: 'table-exports',
        calls: ['dynamodb.DescribeExport'],
        why: 'follow the export until it completes or fails',
      },
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.HeadBucket', 's3.ListObjectsV2'],
        why: 'check the bucket; find the previous backup (incremental); the sizes of the exported files',
      },
      {
        action: 's3:GetObject',
        on: 'table-backups',
        calls: ['s3.GetObject'],
        why: "the export's manifest-summary.json and manifest-files.json, and the previous backup's manifest",
      },
      {
        action: 's3:PutObject',
        on: 'table-backups',
        calls: ['dynamodb.ExportTableToPointInTime', 's3.PutObject'],
        why: "DynamoDB writes the export with the caller's permissions; Coldkeep writes the manifest",
      },
      {
        action: 's3:AbortMultipartUpload',
        on: 'table-backups',
        calls: ['dynamodb.ExportTableToPointInTime'],
        why: 'DynamoDB aborts its own multipart uploads when an export fails',
      },
      {
        action: 's3:PutObjectTagging',
        on: 'table-backups',
        calls: ['s3.PutObjectTagging'],
        why: 'the lifecycle tag on each exported data file',
      },
      {
        action: 's3:PutObjectRetention',
        on: 'table-backups',
        calls: ['s3.PutObjectRetention', 's3.PutObject'],
        feature: 'object-lock',
        why: 'Object Lock retention on each exported data file and on the manifest',
      },
      ...KMS_WRITE.map((g) => ({ ...g, calls: [...g.calls, 'dynamodb.ExportTableToPointInTime'] })),
      KMS_READ,
    ],
  },
  {
    name: 'list-backups',
    status: 'available',
    commands: ['backups list', 'backups show'],
    summary: 'list the backups in a bucket and read their manifests',
    grants: [
      { action: 's3:ListBucket', on: 'bucket', calls: ['s3.ListObjectsV2'], why: 'find backup folders' },
      { action: 's3:GetObject', on: 'all-table-backups', calls: ['s3.GetObject'], why: 'read each manifest' },
      { ...KMS_READ, on: 'kms-key' },
    ],
  },
  {
    name: 'delete-backup',
    status: 'available',
    commands: ['backups delete'],
    summary: 'delete one table backup: its manifest first, then its files; refused while Object Lock holds it',
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.ListObjectsV2'],
        why: 'find the backup ("latest" or an id) and list its files',
      },
      {
        action: 's3:GetObject',
        on: 'table-backups',
        calls: ['s3.GetObject'],
        why: "read the manifest: its Object Lock retention, and the catalog's listing",
      },
      {
        action: 's3:DeleteObject',
        on: 'table-backups',
        calls: ['s3.DeleteObjects'],
        why: 'delete the manifest, then the data files',
      },
      { ...KMS_READ, on: 'kms-key' },
    ],
  },
  {
    name: 'clean-backups',
    status: 'available',
    commands: ['backups gc'],
    summary:
      'remove what failed table backups left: data objects in folders without a manifest, and open multipart uploads',
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.ListObjectsV2'],
        why: 'find the backup folders without a manifest',
      },
      {
        action: 's3:ListBucketMultipartUploads',
        on: 'bucket',
        calls: ['s3.ListMultipartUploads'],
        why: 'find the multipart uploads a killed backup left open',
      },
      {
        action: 's3:DeleteObject',
        on: 'all-table-backups',
        calls: ['s3.DeleteObjects'],
        why: 'delete the data objects of folders without a manifest',
      },
      {
        action: 's3:AbortMultipartUpload',
        on: 'all-table-backups',
        calls: ['s3.AbortMultipartUpload'],
        why: 'abort the open uploads (their parts are billed until then)',
      },
    ],
  },
  {
    name: 'restore',
    status: 'available',
    commands: ['restore', 'backups verify'],
    summary:
      'restore a backup into a table (or chosen items into a live one): plan, thaw, create the table, write, verify',
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.ListObjectsV2'],
        why: 'find the backup ("latest" or by id), or a native export folder',
      },
      {
        action: 's3:GetObject',
        on: 'table-backups',
        calls: ['s3.GetObject', 's3.HeadObject'],
        why: 'the manifest and the data files; HeadObject (needs s3:GetObject) tells archived files',
      },
      {
        action: 's3:ListBucketVersions',
        on: 'bucket',
        calls: ['s3.ListObjectVersions'],
        // An Object Lock bucket is always versioned; elsewhere the grant is left out and a missing
        // data file's hint says the versions could not be checked.
        feature: 'object-lock',
        why: 'only when a data file is missing: does the (versioned) bucket still hold an older version of it (a denial is tolerated)',
      },
      {
        action: 's3:RestoreObject',
        on: 'table-backups',
        calls: ['s3.RestoreObject'],
        why: 'start the retrieval of data files archived to Glacier',
      },
      {
        action: 'dynamodb:DescribeTable',
        on: 'table',
        calls: ['dynamodb.DescribeTable'],
        why: 'does the target exist, with which keys; and waiting until a created table is ACTIVE',
      },
      {
        action: 'dynamodb:Scan',
        on: 'table',
        calls: ['dynamodb.Scan'],
        why: 'is the target empty (one item), and the count check afterwards',
      },
      {
        action: 'dynamodb:CreateTable',
        on: 'table',
        calls: ['dynamodb.CreateTable'],
        why: 'create a missing target from the saved schema',
      },
      {
        action: 'dynamodb:UpdateTimeToLive',
        on: 'table',
        calls: ['dynamodb.UpdateTimeToLive'],
        why: 'turn TTL back on in a created table, after the load',
      },
      {
        action: 'dynamodb:BatchWriteItem',
        on: 'table',
        calls: ['dynamodb.BatchWriteItem'],
        why: 'write the items, 25 at a time',
      },
      {
        action: 'dynamodb:PutItem',
        on: 'table',
        calls: ['dynamodb.PutItem'],
        why: 'item restore (--key/--keys/--where): one item per request, conditional (attribute_not_exists) unless --conflict overwrite',
      },
      {
        action: 'dynamodb:GetItem',
        on: 'table',
        calls: ['dynamodb.GetItem'],
        why: 'item restore with --conflict fail: is any selected key already in the target, before anything is written',
      },
      {
        action: 's3:GetObjectVersion',
        on: 'table-backups',
        calls: ['s3.GetObject'],
        feature: 'versioned-bucket',
        why: 'read a data file at the version id its manifest recorded (versioned buckets), also by backups verify',
      },
      KMS_READ,
    ],
  },
  {
    name: 'restore-import',
    status: 'aws-only',
    commands: ['restore --engine import'],
    summary: "restore a full backup into a new table with DynamoDB's ImportTable",
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.ListObjectsV2', 'dynamodb.ImportTable'],
        why: "find the backup; DynamoDB lists the data prefix with the caller's permissions",
      },
      {
        action: 's3:GetObject',
        on: 'table-backups',
        calls: ['s3.GetObject', 's3.HeadObject', 'dynamodb.ImportTable'],
        why: 'the manifest; archived-file checks; DynamoDB reads the data files',
      },
      {
        action: 's3:RestoreObject',
        on: 'table-backups',
        calls: ['s3.RestoreObject'],
        why: 'start the retrieval of data files archived to Glacier (ImportTable cannot read them)',
      },
      {
        action: 'dynamodb:DescribeTable',
        on: 'table',
        calls: ['dynamodb.DescribeTable'],
        why: 'the target must not exist yet',
      },
      {
        action: 'dynamodb:ImportTable',
        on: 'table',
        calls: ['dynamodb.ImportTable'],
        why: 'create the table from the saved schema and load the backup',
      },
      {
        action: 'dynamodb:DescribeImport',
        on: 'table-imports',
        calls: ['dynamodb.DescribeImport'],
        why: 'follow the import: status, counts, errors and their log group',
      },
      {
        action: 'dynamodb:UpdateTimeToLive',
        on: 'table',
        calls: ['dynamodb.UpdateTimeToLive'],
        why: 'turn TTL back on in the imported table',
      },
      ...[
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
        'logs:PutRetentionPolicy',
      ].map((action): ActionGrant => ({
        action,
        on: 'import-log-groups',
        calls: ['dynamodb.ImportTable'],
        why: "DynamoDB logs the items it could not import in CloudWatch Logs, with the caller's permissions",
      })),
      KMS_READ,
    ],
  },
  {
    name: 'drill',
    status: 'available',
    commands: ['drill table', 'schedule run (drill sources)'],
    summary:
      'restore drill: restore a backup into a scratch table, compare it item by item with the backup, delete it; the tables touched are the scratch ones only',
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.ListObjectsV2'],
        why: 'find the backup ("latest" or by id)',
      },
      {
        action: 's3:GetObject',
        on: 'table-backups',
        calls: ['s3.GetObject', 's3.HeadObject'],
        why: 'the manifest and the data files (read for the restore, and again for the compare); HeadObject tells archived files',
      },
      {
        action: 's3:GetObjectVersion',
        on: 'table-backups',
        calls: ['s3.GetObject'],
        feature: 'versioned-bucket',
        why: 'read a data file at the version id its manifest recorded (versioned buckets)',
      },
      {
        action: 'dynamodb:CreateTable',
        on: 'scratch-tables',
        calls: ['dynamodb.CreateTable'],
        why: 'create the scratch table, on demand, from the saved schema',
      },
      {
        action: 'dynamodb:TagResource',
        on: 'scratch-tables',
        calls: ['dynamodb.TagResource'],
        why: 'tag the scratch table as a drill (coldkeep:drill)',
      },
      {
        action: 'dynamodb:DescribeTable',
        on: 'scratch-tables',
        calls: ['dynamodb.DescribeTable'],
        why: 'wait until the scratch table is ACTIVE; its ARN for the tags',
      },
      {
        action: 'dynamodb:BatchWriteItem',
        on: 'scratch-tables',
        calls: ['dynamodb.BatchWriteItem'],
        why: 'restore the items into the scratch table',
      },
      {
        action: 'dynamodb:Scan',
        on: 'scratch-tables',
        calls: ['dynamodb.Scan'],
        why: 'is it empty, the count after the load, and reading every item back for the compare',
      },
      {
        action: 'dynamodb:DeleteTable',
        on: 'scratch-tables',
        calls: ['dynamodb.DeleteTable'],
        why: 'delete the scratch table on every way out (unless --keep)',
      },
      KMS_READ,
    ],
  },
  {
    name: 'drill-import',
    status: 'aws-only',
    commands: ['drill table --engine import'],
    summary: "restore drill through DynamoDB's ImportTable into a scratch table, compared and deleted",
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.ListObjectsV2', 'dynamodb.ImportTable'],
        why: "find the backup; DynamoDB lists the data prefix with the caller's permissions",
      },
      {
        action: 's3:GetObject',
        on: 'table-backups',
        calls: ['s3.GetObject', 's3.HeadObject', 'dynamodb.ImportTable'],
        why: 'the manifest and the data files (the compare); DynamoDB reads the data files',
      },
      {
        action: 'dynamodb:DescribeTable',
        on: 'scratch-tables',
        calls: ['dynamodb.DescribeTable'],
        why: 'the scratch table must not exist yet; its ARN for the tags',
      },
      {
        action: 'dynamodb:ImportTable',
        on: 'scratch-tables',
        calls: ['dynamodb.ImportTable'],
        why: 'create the scratch table and load the backup',
      },
      {
        action: 'dynamodb:DescribeImport',
        on: 'scratch-imports',
        calls: ['dynamodb.DescribeImport'],
        why: 'follow the import',
      },
      {
        action: 'dynamodb:TagResource',
        on: 'scratch-tables',
        calls: ['dynamodb.TagResource'],
        why: 'tag the scratch table as a drill (ImportTable takes no tags)',
      },
      {
        action: 'dynamodb:Scan',
        on: 'scratch-tables',
        calls: ['dynamodb.Scan'],
        why: 'read every item back for the compare',
      },
      {
        action: 'dynamodb:DeleteTable',
        on: 'scratch-tables',
        calls: ['dynamodb.DeleteTable'],
        why: 'delete the scratch table on every way out (unless --keep)',
      },
      ...[
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
        'logs:PutRetentionPolicy',
      ].map((action): ActionGrant => ({
        action,
        on: 'import-log-groups',
        calls: ['dynamodb.ImportTable'],
        why: "DynamoDB logs the items it could not import in CloudWatch Logs, with the caller's permissions",
      })),
      KMS_READ,
    ],
  },
  {
    name: 'drill-folder',
    status: 'available',
    commands: ['drill folder', 'schedule run (folder drill sources)'],
    summary:
      'restore drill of a folder snapshot: a sample restored into a temp folder and re-hashed, the verify of its blobs; writes only damage records',
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.ListObjectsV2'],
        why: 'find the snapshot ("latest" or by id); list the blobs, packs (present, storage class) and damage records',
      },
      {
        action: 's3:GetObject',
        on: 'file-snapshots',
        calls: ['s3.GetObject', 's3.HeadObject'],
        why: 'read the snapshot manifest and the sampled blobs and packs; HeadObject: archive state before a thaw, the ETag of an object found damaged',
      },
      {
        action: 's3:PutObject',
        on: 'file-snapshots',
        calls: ['s3.PutObject'],
        why: 'damage records, when the drill finds a blob or pack damaged (no backup reuses it then); nothing else is written',
      },
      {
        action: 's3:RestoreObject',
        on: 'file-snapshots',
        calls: ['s3.RestoreObject'],
        why: '--thaw: start the retrieval of sampled blobs and packs archived to Glacier / Deep Archive',
      },
      {
        action: 'kms:GenerateDataKey',
        on: 'kms-key',
        calls: ['s3.PutObject'],
        feature: 'sse-kms',
        why: 'a damage record written with SSE-KMS',
      },
      KMS_READ,
    ],
  },
  {
    name: 'files',
    status: 'available',
    commands: [
      'files backup',
      'files snapshots',
      'files ls',
      'files restore',
      'files verify',
      'files forget',
      'files prune',
      'files unlock',
    ],
    summary:
      'folder snapshots: content-addressed blobs, snapshot manifests, locks, restore, verify, forget, prune, unlock',
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.ListObjectsV2'],
        why: 'check the bucket before a backup (a one-key listing of the locks); list sources, snapshots, blobs, packs, pack indexes (what exists, storage classes), locks and damage records',
      },
      {
        action: 's3:GetObject',
        on: 'file-snapshots',
        calls: ['s3.GetObject', 's3.HeadObject'],
        why: 'read snapshot manifests and blobs (restore, verify) and lock objects (who holds a lock); HeadObject: does a blob exist, snapshot figures, archive state, retention before prune, is a recorded damaged object still the one found',
      },
      {
        action: 's3:PutObject',
        on: 'file-snapshots',
        calls: ['s3.PutObject', 's3.CreateMultipartUpload', 's3.UploadPart', 's3.CompleteMultipartUpload'],
        why: 'blobs (one request, or multipart for big files), the snapshot manifest last, the lock object, and damage records (verify, restore)',
      },
      {
        action: 's3:PutObjectTagging',
        on: 'file-snapshots',
        calls: ['s3.PutObject', 's3.PutObjectTagging'],
        why: 'the lifecycle tag on each blob (Tagging header on PutObject; PutObjectTagging after a multipart upload)',
      },
      {
        action: 's3:AbortMultipartUpload',
        on: 'file-snapshots',
        calls: ['s3.AbortMultipartUpload'],
        why: 'a big file that fails, is cancelled or changes while it streams: its upload is aborted',
      },
      {
        action: 's3:DeleteObject',
        on: 'file-snapshots',
        calls: ['s3.DeleteObject', 's3.DeleteObjects'],
        why: 'release the lock object (unlock removes those of gone processes); forget deletes snapshot manifests; prune deletes unreferenced blobs and damage records that guard nothing',
      },
      {
        action: 's3:RestoreObject',
        on: 'file-snapshots',
        calls: ['s3.RestoreObject'],
        why: 'restore: start the retrieval of blobs archived to Glacier / Deep Archive',
      },
      {
        action: 's3:PutObjectRetention',
        on: 'file-snapshots',
        calls: ['s3.PutObject', 's3.CreateMultipartUpload'],
        feature: 'object-lock',
        why: 'blobs and snapshot manifests written with an Object Lock mode and retain-until date',
      },
      {
        action: 's3:GetObjectRetention',
        on: 'file-snapshots',
        calls: ['s3.HeadObject'],
        feature: 'object-lock',
        why: "prune reads each unreferenced blob's retain-until date (HeadObject shows it only with this permission)",
      },
      {
        action: 's3:GetObjectLegalHold',
        on: 'file-snapshots',
        calls: ['s3.HeadObject'],
        feature: 'object-lock',
        why: 'prune keeps blobs under a legal hold (HeadObject shows it only with this permission)',
      },
      {
        action: 'kms:GenerateDataKey',
        on: 'wrap-kms-key',
        calls: ['kms.GenerateDataKey'],
        feature: 'key-wrap-kms',
        why: "files key add --kms-key (or a first encrypted backup with --kms-key): a data key that seals the source's repository key",
      },
      {
        action: 'kms:Decrypt',
        on: 'wrap-kms-key',
        calls: ['kms.Decrypt'],
        feature: 'key-wrap-kms',
        why: 'open an encrypted source with its KMS wrap (backup, restore, verify, prune of format 3 snapshots)',
      },
      ...KMS_WRITE,
      KMS_READ,
    ],
  },
  {
    name: 'notify',
    status: 'available',
    commands: [
      'backup table --notify',
      'restore --notify',
      'export table --notify',
      'files backup --notify',
      'files restore --notify',
    ],
    summary:
      'email after a job, with a pre-signed download link (a bundle for a backup of several files; none for a folder snapshot)',
    grants: [
      { action: 'ses:SendEmail', on: 'email-identity', calls: ['ses.SendEmail'], why: 'the report email' },
      {
        action: 's3:GetObject',
        on: 'table-backups',
        calls: ['s3.GetObject'],
        why: 'read the manifest and data files for the bundle; a pre-signed link works only if its signer may read the object (presigning runs the same middleware, so it is recorded as a GetObject too)',
      },
      {
        action: 's3:PutObject',
        on: 'table-backups',
        calls: ['s3.PutObject', 's3.CreateMultipartUpload', 's3.UploadPart', 's3.CompleteMultipartUpload'],
        why: 'the download bundle (download/<table>.json.gz) beside a backup of several data files',
      },
      {
        action: 's3:PutObjectTagging',
        on: 'table-backups',
        calls: ['s3.PutObjectTagging'],
        why: "the bundle carries the backup's lifecycle tag",
      },
      {
        action: 's3:AbortMultipartUpload',
        on: 'table-backups',
        calls: ['s3.AbortMultipartUpload'],
        why: 'a failed bundle upload leaves no parts',
      },
      {
        action: 's3:PutObjectRetention',
        on: 'table-backups',
        calls: ['s3.PutObject', 's3.CreateMultipartUpload'],
        feature: 'object-lock',
        why: 'the bundle is locked like the backup it copies',
      },
      ...KMS_WRITE,
      KMS_READ,
    ],
  },
  {
    name: 'stacks',
    status: 'aws-only',
    commands: ['stack deploy', 'stack status', 'stack delete'],
    summary: 'deploy the bundled templates through change sets (the resources themselves need their own permissions)',
    grants: [
      {
        action: 's3:ListBucket',
        on: 'bucket',
        calls: ['s3.HeadObject'],
        why: 'a template that runs the Lambda bundle: S3 answers a missing bundle with 404 only to a caller that may list the bucket (403 otherwise)',
      },
      {
        action: 's3:GetObject',
        on: 'lambda-bundles',
        calls: ['s3.HeadObject'],
        why: 'is this bundle (named by its SHA-256) already uploaded?',
      },
      {
        action: 's3:PutObject',
        on: 'lambda-bundles',
        calls: ['s3.PutObject'],
        why: 'upload the Lambda bundle the template runs',
      },
      {
        action: 'cloudformation:CreateChangeSet',
        on: 'stacks',
        calls: ['cloudformation.CreateChangeSet'],
        why: 'deploy',
      },
      {
        action: 'cloudformation:DescribeChangeSet',
        on: 'stacks',
        calls: ['cloudformation.DescribeChangeSet'],
        why: 'review',
      },
      {
        action: 'cloudformation:ExecuteChangeSet',
        on: 'stacks',
        calls: ['cloudformation.ExecuteChangeSet'],
        why: 'apply',
      },
      {
        action: 'cloudformation:DeleteChangeSet',
        on: 'stacks',
        calls: ['cloudformation.DeleteChangeSet'],
        why: 'discard an empty change set',
      },
      {
        action: 'cloudformation:DescribeStacks',
        on: 'stacks',
        calls: ['cloudformation.DescribeStacks'],
        why: 'status and outputs',
      },
      {
        action: 'cloudformation:DescribeStackEvents',
        on: 'stacks',
        calls: ['cloudformation.DescribeStackEvents'],
        why: 'live events',
      },
      {
        action: 'cloudformation:CancelUpdateStack',
        on: 'stacks',
        calls: ['cloudformation.CancelUpdateStack'],
        why: 'a cancelled update is rolled back',
      },
      {
        action: 'cloudformation:DeleteStack',
        on: 'stacks',
        calls: ['cloudformation.DeleteStack'],
        why: 'stack delete, and the empty stack a first deploy leaves when it is not executed',
      },
    ],
  },
];

export function declarationOf(operation: CoreOperation): OperationDeclaration {
  return ACTION_TABLE.find((d) => d.name === operation)!;
}
