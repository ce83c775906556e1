#!/usr/bin/env node
// Builds the console (part of `npm run build`, after the node): the node's OpenAPI document, the
// console's API types from it (scripts/console-api-types.mjs), a type check of the console against
// them (an API change the console does not follow fails here), and Vite's production build into
// apps/console/dist, which every node serves at /.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });
const openapi = join(root, 'apps/node/dist/openapi.json');

run(process.execPath, [join(root, 'scripts/openapi-export.mjs'), openapi]);
run(process.execPath, [join(root, 'scripts/console-api-types.mjs'), openapi, join(root, 'apps/console/src/api/generated.ts')]);
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'apps/console/tsconfig.json')]);
run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', join(root, 'apps/console')]);
