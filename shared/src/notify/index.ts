export * from './figures';
export * from './jobSummary';
export * from './downloadLink';
export * from './emailMessage';
export * from './sesErrors';
export * from './notifySettings';
export * from './backupArtefact';
export * from './notifyJob';
