#!/usr/bin/env node
// `tdx`: the operator's command line for a tdx node (see docs/operator-guide.md, "The tdx command").
import { run } from './cli';

// A reader that stops early (`tdx return jobs | head -4`) closes the pipe: what is left to print is
// not wanted, so stop quietly (exit 0) instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

void run(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then((code) => {
  // Let stdout drain (a pipe may be slow) rather than process.exit().
  process.exitCode = code;
});
