import type { DataSourceOptions } from 'typeorm';
import { InitialSchema1764230000000 } from './migrations/1764230000000-initial-schema';

/** One node's database; schema only by reviewed migrations, never `synchronize`. */
export function databaseOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    synchronize: false,
    migrationsRun: true,
    migrations: [InitialSchema1764230000000],
    entities: [],
    extra: { max: 10, application_name: 'tdx-node' },
  };
}
