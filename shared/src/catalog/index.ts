export * from './listBackups';
export * from './deleteBackup';
export * from './collectGarbage';
