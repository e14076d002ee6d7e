// The package's public face, for the extension, the desktop app and the tests, layer by layer
// (ARCHITECTURE.md has the map). Inside the core, import the file that declares a name.

// The base: AWS clients and settings, errors, jobs, sessions, local state
export * from './base/aws/bucketName';
export * from './base/aws/callerIdentity';
export * from './base/aws/clients';
export * from './base/aws/responseBody';
export * from './base/aws/serviceErrors';
export * from './base/aws/settings';
export * from './base/errors/ColdkeepError';
export * from './base/errors/errorFixes';
export * from './base/errors/fromAwsError';
export * from './base/errors/settingHint';
export * from './base/errors/withAftermath';
export * from './base/jobs/backoff';
export * from './base/jobs/job';
export * from './base/jobs/jobOutcome';
export * from './base/jobs/pool';
export * from './base/jobs/processOwner';
export * from './base/session/awsCliCache';
export * from './base/session/awsProfile';
export * from './base/session/awsSetup';
export * from './base/session/fileSecretStore';
export * from './base/session/mfaCode';
export * from './base/session/mfaPrompt';
export * from './base/session/mfaSession';
export * from './base/session/profileCredentials';
export * from './base/session/secretStore';
export * from './base/session/sessionCredentials';
export * from './base/session/stsErrors';
export * from './base/state/configDir';
export * from './base/state/jsonFileStore';
export * from './base/version';

// Storage: objects in the bucket
export * from './storage/archiveClasses';
export * from './storage/backupId';
export * from './storage/bucketKeys';
export * from './storage/checkBucket';
export * from './storage/objectUpload';
export * from './storage/storageOptions';
export * from './storage/thawArchived';

// The table engine
export * from './tables/backup/backupReport';
export * from './tables/backup/backupTable';
export * from './tables/backup/chooseEngine';
export * from './tables/backup/exportBackup';
export * from './tables/backup/nativeExport';
export * from './tables/export/csvRows';
export * from './tables/export/exportDestination';
export * from './tables/export/exportTable';
export * from './tables/export/plainItem';
export * from './tables/forget/deleteBackup';
export * from './tables/prune/collectGarbage';
export * from './tables/repository/backedUpVersions';
export * from './tables/repository/itemLines';
export * from './tables/repository/layout';
export * from './tables/repository/listBackups';
export * from './tables/repository/manifest';
export * from './tables/restore/hashKeyShortcut';
export * from './tables/restore/importRestore';
export * from './tables/restore/itemKeys';
export * from './tables/restore/itemRestore';
export * from './tables/restore/restoreJournal';
export * from './tables/restore/restorePlan';
export * from './tables/restore/restoreReport';
export * from './tables/restore/restoreTable';
export * from './tables/restore/targetTable';
export * from './tables/restore/verifyFirst';
export * from './tables/restore/whereFilter';
export { LineSplitter } from './tables/repository/verifiedLines';
export * from './tables/source/capacityLimiter';
export * from './tables/source/describeTable';
export * from './tables/source/dynamoJson';
export * from './tables/source/scanBody';
export * from './tables/source/segmentedScan';
export * from './tables/source/tableSchema';
export * from './tables/verify/verifyBackup';
export * from './tables/drill/drillTable';
export * from './tables/drill/scratchTable';
export * from './app/schedule/drillRecords';
export * from './app/drill/tableDrillJob';
export * from './app/drill/recordedDrill';
export * from './app/status/ageText';
export * from './app/status/sourceStatus';

// The folder engine
export * from './folders/backup/backupFolder';
export * from './folders/backup/backupReport';
export * from './folders/drill/drillFolder';
export * from './folders/drill/drillReport';
export * from './folders/drill/drillSample';
export * from './folders/drill/thawStatement';
export * from './folders/forget/forgetSnapshots';
export * from './folders/forget/retention';
export * from './folders/keys/manageKeys';
export * from './folders/prune/pruneBlobs';
export * from './folders/repository/blobStore';
export * from './folders/repository/contentCompression';
export * from './folders/repository/damageRecords';
export * from './folders/repository/folderTree';
export * from './folders/repository/keyWraps';
export * from './folders/repository/layout';
export * from './folders/repository/objectCodec';
export * from './folders/repository/packIndex';
export * from './folders/repository/packReader';
export * from './folders/repository/packWriter';
export * from './folders/repository/snapshotCatalog';
export * from './folders/repository/snapshotEntries';
export * from './folders/repository/snapshotManifest';
export * from './folders/repository/snapshotWriter';
export * from './folders/repository/sourceKeyring';
export * from './folders/repository/sourceLock';
export * from './folders/repository/treeStore';
export * from './folders/restore/pathSelection';
export { REPAIR_COMMAND } from './folders/restore/damageFound';
export * from './folders/restore/restoreReport';
export * from './folders/restore/restoreSnapshot';
export * from './folders/source/excludes';
export * from './folders/source/walk';
export * from './folders/verify/repairSnapshot';
export * from './folders/verify/verifySnapshot';

// Infrastructure: IAM policies and CloudFormation stacks
export * from './infra/policy/actionTable';
export {
  actionMatches,
  arnMatchesPattern,
  parseArn,
  type ParsedArn,
  resourceMatchesTemplate,
} from './infra/policy/arn';
export * from './infra/policy/findings';
export * from './infra/policy/fillPlaceholders';
export * from './infra/policy/generatePolicy';
export type { PolicyKind } from './infra/policy/lintChecks';
export * from './infra/policy/lintPolicy';
export * from './infra/policy/policyDocument';
export {
  type ResolveEnvironment,
  resolveTemplate,
  resolveTemplateText,
  TemplateResolveError,
} from './infra/policy/resolveTemplate';
export * from './infra/policy/sarif';
export * from './infra/policy/sdkActions';
export * from './infra/policy/snippets';
export * from './infra/stacks/deleteStack';
export * from './infra/stacks/deployReport';
export { parameterError } from './infra/stacks/deployRun';
export * from './infra/stacks/deployStack';
export { deployFailure } from './infra/stacks/executePhase';
export * from './infra/stacks/lambdaBundle';
export { type ResourceFailure, type StackEvent, failuresOf } from './infra/stacks/stackEvents';
export * from './infra/stacks/stackStatus';
export * from './infra/stacks/templateCatalog';
export * from './infra/stacks/templateDocument';
export * from './infra/stacks/templateParameters';

// The application layer
export * from './app/connection';
export * from './app/jobEstimate';
export * from './app/runJob';
export * from './app/sessionRefusal';
export * from './app/stacks/stackService';
export * from './app/summaries/folderBackupLine';
export * from './app/summaries/folderProgress';
export * from './app/summaries/progressLine';
export * from './app/summaries/restorePoints';
export * from './app/summaries/snapshotRestoreLine';
export * from './app/summaries/stackProgress';
export * from './app/demo/compareTables';
export * from './app/demo/demoData';
export * from './app/demo/demoEnvironment';
export * from './app/demo/emulators';
export * from './app/demo/runDemo';
export * from './app/demo/studentData';
export * from './app/notify/backupArtefact';
export * from './app/notify/downloadLink';
export * from './app/notify/emailMessage';
export * from './app/notify/figures';
export * from './app/notify/jobSummary';
export * from './app/notify/notifyJob';
export * from './app/notify/notifySettings';
export * from './app/notify/restoreText';
export * from './app/notify/sesErrors';
export * from './app/schedule/runHistory';
export * from './app/schedule/runNotification';
export * from './app/schedule/scheduler';
export * from './app/schedule/sourceRunners';
export * from './app/schedule/sources';
