export * from './ColdkeepError';
export * from './fromAwsError';
