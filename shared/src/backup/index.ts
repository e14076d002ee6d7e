export * from './layout';
export * from './backupId';
export * from './manifest';
export * from './itemLines';
export * from './storageOptions';
export * from './objectUpload';
export * from './backupTable';
