export * from './job';
export * from './backoff';
export * from './pool';
export * from './processOwner';
export * from './jobOutcome';
