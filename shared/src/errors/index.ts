export * from './ColdkeepError';
export * from './fromAwsError';
export * from './withAftermath';
export * from './settingHint';
export * from './errorFixes';
