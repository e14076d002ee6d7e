export * from './settings';
export * from './clients';
