export * from './vocabulary';
export * from './records';
export * from './subjects';
export * from './envelope';
export * from './returns';
export * from './audit';
export * from './trust';
export * from './schema';
