// Removes built files whose TypeScript source is gone (a file moved or deleted), before `tsc -b`
// builds incrementally: tsc never deletes an output, and the node collects its migrations from
// the built folders, so a stale copy of a moved migration would run twice.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = /\.(js|js\.map|d\.ts)$/;

for (const app of ['apps/node', 'apps/cli']) {
  const dist = join(ROOT, app, 'dist');
  if (!existsSync(dist)) continue;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      } else if (OUTPUT.test(name)) {
        const source = join(ROOT, app, 'src', relative(dist, path).replace(OUTPUT, '.ts'));
        if (!existsSync(source)) rmSync(path);
      }
    }
  };
  walk(dist);
}
