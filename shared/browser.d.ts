export * from './dist/browser';
