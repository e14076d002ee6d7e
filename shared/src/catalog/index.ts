export * from './listBackups';
export * from './deleteBackup';
