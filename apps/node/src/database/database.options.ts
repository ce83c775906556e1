import type { DataSourceOptions } from 'typeorm';
import { DATABASE_POOL_SIZE } from '../config/pool-size';
import { collectMigrations } from './migrations';

/**
 * How long a pooled connection may stay idle before it is closed. node-postgres's default (10 s)
 * closes the connections a burst opened soon after it, and the next burst opens them again: each
 * is a new PostgreSQL backend (a process start and a cold catalog cache). The node's workers touch
 * the database every second or two, so two minutes keeps what they use open, and still gives back
 * within two minutes what a rare peak opened. It never adds connections: the pool's maximum
 * (DATABASE_POOL_SIZE), which max_connections is sized for, is unchanged.
 */
export const DATABASE_IDLE_TIMEOUT_MS = 120_000;

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
    extra: { max: DATABASE_POOL_SIZE, idleTimeoutMillis: DATABASE_IDLE_TIMEOUT_MS, application_name: 'tdx-node' },
  };
}
