export * from './jsonFileStore';
export * from './sources';
export * from './runHistory';
export * from './sourceRunners';
export * from './scheduler';
export * from './runNotification';
