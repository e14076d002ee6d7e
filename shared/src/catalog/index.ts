export * from './listBackups';
