export * from './plainItem';
export * from './csvRows';
export * from './exportDestination';
export * from './exportTable';
