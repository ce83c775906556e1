export * from './division-code';
export * from './zhejiang';
