export * from './tableSchema';
export * from './describeTable';
export * from './capacityLimiter';
export * from './segmentedScan';
export * from './scanBody';
export * from './dynamoJson';
