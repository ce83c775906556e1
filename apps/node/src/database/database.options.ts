import type { DataSourceOptions } from 'typeorm';
import { DATABASE_POOL_SIZE } from '../config/pool-size';
import { collectMigrations } from './migrations';

/** One node's database; schema only by reviewed migrations, never `synchronize`. */
export function databaseOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    synchronize: false,
    migrationsRun: true,
    // Each module brings its own migrations (its `migrations/` folder); TypeORM runs them in timestamp order.
    migrations: collectMigrations(),
    entities: [],
    extra: { max: DATABASE_POOL_SIZE, application_name: 'tdx-node' },
  };
}
