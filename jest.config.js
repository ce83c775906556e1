// Tests run TypeScript through SWC (which emits the decorator metadata Nest needs) against the
// libraries' sources, so `npm test` needs no build for unit tests; integration tests spawn the built node.
const swc = ['@swc/jest', { ...JSON.parse(require('fs').readFileSync(`${__dirname}/.swcrc`, 'utf8')), swcrc: false }];
const common = {
  transform: { '^.+\\.ts$': swc, '^.+\\.js$': swc },
  // NestJS 12 ships ES modules only; jest's CommonJS runtime needs them compiled (node itself loads them with require(esm)).
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
  moduleNameMapper: { '^@tdx/(calendar|contracts|divisions|testing)$': '<rootDir>/libs/$1/src/index.ts' },
  testEnvironment: 'node',
};

module.exports = {
  // Integration tests start nodes and servers; their waits are bounded inside each test.
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: ['<rootDir>/libs/*/src/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      rootDir: __dirname,
      testMatch: ['<rootDir>/apps/*/test/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'],
    },
  ],
};
