#!/usr/bin/env node
// `npm run openapi:export [-- FILE]`: writes the node's OpenAPI document (JSON) to FILE, or to
// standard output, from the built node (npm run build) in Nest's preview mode: no database, no
// NATS, no key file. `npm run lint:openapi` lints what it writes with Redocly (redocly.yaml).
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { previewOpenApiDocument } = require('../apps/node/dist/openapi.js');

const document = await previewOpenApiDocument();
const text = `${JSON.stringify(document, null, 2)}\n`;
const file = process.argv[2];
if (file) writeFileSync(file, text);
else process.stdout.write(text);
