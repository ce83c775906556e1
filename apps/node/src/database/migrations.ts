import { existsSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { MigrationInterface } from 'typeorm';

export type MigrationClass = new () => MigrationInterface;

/**
 * Every module keeps its migrations in its own `migrations/` folder; this collects them all, so
 * that adding one is adding a file, never editing a list here. TypeORM orders them by the
 * timestamp in their names. Runs on the built JavaScript and, in the tests, on the TypeScript
 * sources (whichever this file itself is).
 */
export function collectMigrations(sourceRoot = join(__dirname, '..')): MigrationClass[] {
  const ext = extname(__filename);
  const found: MigrationClass[] = [];
  for (const folder of readdirSync(sourceRoot, { withFileTypes: true }).filter((f) => f.isDirectory())) {
    const dir = join(sourceRoot, folder.name, 'migrations');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`) && !f.endsWith(`.spec${ext}`))
      .sort()) {
      // A plain require: the folder is read at run time, so the files cannot be static imports.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported: Record<string, unknown> = require(join(dir, file));
      for (const value of Object.values(exported)) {
        if (typeof value === 'function' && typeof (value.prototype as Partial<MigrationInterface>)?.up === 'function') found.push(value as MigrationClass);
      }
    }
  }
  return found;
}
