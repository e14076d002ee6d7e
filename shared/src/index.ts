export * from './version';
export * from './errors';
export * from './jobs';
export * from './aws';
export * from './demo/emulators';
export * from './tables';
export * from './backup';
