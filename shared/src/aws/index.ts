export * from './settings';
export * from './clients';
export * from './checkBucket';
export * from './responseBody';
export * from './bucketName';
export * from './serviceErrors';
export * from './callerIdentity';
