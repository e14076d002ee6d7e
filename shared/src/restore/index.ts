export * from './restorePlan';
export * from './thawArchived';
export * from './targetTable';
export * from './restoreTable';
export * from './importRestore';
export * from './verifyFirst';
export * from './restoreJournal';
