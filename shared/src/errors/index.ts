export * from './ColdkeepError';
export * from './fromAwsError';
export * from './withAftermath';
