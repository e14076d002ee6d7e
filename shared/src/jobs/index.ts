export * from './job';
export * from './backoff';
