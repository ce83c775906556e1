import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import tdxRules from './tools/lint/route-policy.cjs';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', 'coverage/**', 'apps/console/src/api/generated.ts', 'apps/console/test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Module boundaries: apps may use libraries; contracts depend only on the domain; the domain on nothing.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    // The test kit (type:testing) is for tests, their support and the scripts only: an app's own source never imports it.
    files: ['apps/*/test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:testing'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain', 'type:testing'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    // Every route handler declares its access policy; see tools/lint/route-policy.cjs.
    files: ['apps/*/src/**/*.ts'],
    plugins: { tdx: tdxRules },
    rules: {
      'tdx/route-policy': 'error',
      // Nest's FileTypeValidator loads file-type 22, which needs Node 22; tdx runs on Node 20 (docs/architecture.md, "Dependency majors").
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@nestjs/common',
              importNames: ['FileTypeValidator', 'ParseFilePipeBuilder'],
              message: 'FileTypeValidator (also behind ParseFilePipeBuilder.addFileTypeValidator) loads file-type, which needs Node 22.',
            },
          ],
        },
      ],
    },
  },
  {
    // Plain CommonJS, run by node as it is (the lint rules and checks in tools/lint).
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
