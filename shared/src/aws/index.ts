export * from './settings';
export * from './clients';
export * from './checkBucket';
