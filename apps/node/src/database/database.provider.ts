import { Inject, Injectable, Logger, OnApplicationShutdown, Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { databaseOptions } from './database.options';
import { runMigrationsLocked } from './migration-lock';

const ATTEMPTS = 30;
const RETRY_MS = 2000;

/**
 * This node's own DataSource, built by the node instead of @nestjs/typeorm, whose process-wide
 * registry of data source names does not fit several nodes in one process.
 */
export const dataSourceProvider: Provider = {
  provide: DataSource,
  inject: [NODE_CONFIG],
  useFactory: async (config: NodeRuntimeConfig) => {
    const logger = new Logger('Database');
    for (let attempt = 1; ; attempt++) {
      // Migrations run after connecting, under the database's migration lock (replicas may start together).
      const dataSource = new DataSource({ ...databaseOptions(config.databaseUrl), migrationsRun: false });
      try {
        await dataSource.initialize();
        await runMigrationsLocked(dataSource);
        return dataSource;
      } catch (error) {
        if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
        if (attempt >= ATTEMPTS) throw error;
        logger.warn(`database not ready (${(error as Error).message}); attempt ${attempt} of ${ATTEMPTS}, retrying in ${RETRY_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  },
};

@Injectable()
export class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
