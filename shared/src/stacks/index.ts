export * from './templateParameters';
export * from './templateCatalog';
export * from './templateDocument';
export * from './lambdaBundle';
export { type ResourceFailure, type StackEvent, failuresOf } from './stackEvents';
export * from './stackStatus';
export * from './deployStack';
export * from './deleteStack';
