import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { collectMigrations } from './migrations';

describe('collectMigrations', () => {
  const root = join(__dirname, '..');
  const files = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => {
      try {
        return readdirSync(join(root, d.name, 'migrations'))
          .filter((f) => f.endsWith('.ts'))
          .map((f) => `${d.name}/migrations/${f}`);
      } catch {
        return [];
      }
    });

  it("finds one migration class in each file of every module's migrations folder", () => {
    const migrations = collectMigrations();
    expect(files.length).toBeGreaterThan(10);
    expect(migrations).toHaveLength(files.length);
    const names = migrations.map((m) => new m().name ?? m.name);
    expect(new Set(names).size).toBe(names.length);
    // Each class is named after its file's timestamp, which is how TypeORM orders them.
    const stamps = files.map((f) => /\/(\d{13})-/.exec(f)?.[1]).sort();
    expect(migrations.map((m) => /(\d{13})$/.exec(m.name)?.[1]).sort()).toEqual(stamps);
  });
});
