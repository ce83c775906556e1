// Test support for the apps' tests and the scripts (demo, benchmarks): allowed to them only (lint:
// @nx/enforce-module-boundaries, tag type:testing), never to an app's own source.
export * from './api';
export * from './assert-every';
export * from './databases';
export * from './errors';
export * from './eventually';
export * from './federation';
export * from './keys';
export * from './nats';
export * from './nodes';
export * from './ports';
export * from './previous-release';
