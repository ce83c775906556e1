// The lint check that fails on an import cycle between the top-level folders of an app.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS so that npm run lint runs it with plain node
const { folderCycleProblems } = require('./folder-cycles.cjs');

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tdx-cycles-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('folder-cycles', () => {
  it('passes folders that import in one direction, and ignores files at the root and specs', () => {
    expect(
      folderCycleProblems(
        tree({
          'a/a.ts': `import { b } from '../b/b';`,
          'b/b.ts': `export const b = 1;`,
          'b/b.spec.ts': `import { a } from '../a/a';`,
          'main.ts': `import { a } from './a/a';`,
        }),
      ),
    ).toEqual([]);
  });

  it('names a cycle of two folders and a longer one, with the imports that close them', () => {
    const problems: string[] = folderCycleProblems(
      tree({
        'a/a.ts': `import { b } from '../b/b';`,
        'b/b.ts': `import type { A } from '../a/deep/a-type';`,
        'a/deep/a-type.ts': `export type A = 1;`,
        'c/c.ts': `export { d } from '../d/d';`,
        'd/d.ts': `import { e } from '../e/e';`,
        'e/e.ts': `import { c } from '../c/c';`,
      }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/cycle: a, b\n/);
    expect(problems[0]).toContain('b -> a: b/b.ts imports ../a/deep/a-type');
    expect(problems[1]).toMatch(/cycle: c, d, e\n/);
  });

  it('finds none in the node as it is', () => {
    expect(folderCycleProblems(join(__dirname, '../../apps/node/src'))).toEqual([]);
  });
});
