export * from './emulators';
export * from './runDemo';
export * from './compareTables';
export * from './studentData';
export * from './demoData';
