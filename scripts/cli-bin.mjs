// After the build: makes the `tdx` binary (the root package's bin, apps/cli/dist/main.js) runnable
// as `npx tdx` and from the PATH: tsc keeps its shebang but writes it without the execute bits.
import { chmodSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'apps/cli/dist/main.js');
if (!readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node\n')) throw new Error(`${main} lacks its #!/usr/bin/env node line`);
chmodSync(main, 0o755);
