#!/usr/bin/env node
// `tdx`: the operator's command line for a tdx node (see docs/operator-guide.md, "The tdx command").
import { run } from './cli';

void run(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then((code) => {
  // Let stdout drain (a pipe may be slow) rather than process.exit().
  process.exitCode = code;
});
