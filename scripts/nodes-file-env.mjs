#!/usr/bin/env node
// `node scripts/nodes-file-env.mjs NODES_FILE CODE`: prints the environment file of node CODE of a
// nodes file (its `defaults` overlaid with its own entry, `${NAME}` references filled in from this
// environment), for moving a hosted county to a process of its own (docs/operator-guide.md,
// "Hosted nodes"). Needs the built node (npm run build). Prints nothing and exits 2 on a problem.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { readNodesFile } = require('../apps/node/dist/hosting/nodes-file.js');

const [file, code] = process.argv.slice(2);
if (!file || !code) {
  process.stderr.write('usage: node scripts/nodes-file-env.mjs NODES_FILE CODE\n');
  process.exit(2);
}
const { entries, problems } = readNodesFile(file, process.env);
const entry = entries.find((e) => e.variables.NODE_CODE === code);
const own = entry ? problems.filter((p) => !/^nodes\[\d+\]/.test(p) || p.startsWith(`${entry.position}:`) || p.startsWith('defaults:')) : problems;
if (!entry || own.length > 0) {
  const why = entry ? own : [...problems, `no node ${code} in the file`];
  process.stderr.write(`${file}: ${why.join('; ')}\n`);
  process.exit(2);
}
const lines = Object.entries(entry.variables).map(([name, value]) => {
  if (/[\n\r]/.test(value)) {
    process.stderr.write(`${file}: ${name} of ${code} spans lines, which an environment file cannot hold\n`);
    process.exit(2);
  }
  return `${name}=${value}`;
});
process.stdout.write(`# Node ${code} from ${file}: its environment when it runs alone (README, "Running a node").\n${lines.join('\n')}\n`);
