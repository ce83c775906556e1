import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DataSourceCloser, dataSourceProvider } from '../database/database.provider';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { MetricsController } from '../metrics/metrics.controller';
import { WorkLimits } from '../hardening/work-limits';
import { HealthController } from './health.controller';
import { NatsLink } from './nats-link';
import { RequestLimits } from './nats-request-limits';

/**
 * What every feature of one node stands on: its configuration, its database, its NATS connection,
 * its metrics and its limits. Global within one node's application, and made per node
 * (`forNode`), so that one process can host several nodes, each with its own.
 */
@Global()
@Module({})
export class CoreModule {
  static forNode(config: NodeRuntimeConfig): DynamicModule {
    const shared = [MetricsRegistry, NatsLink, RequestLimits, WorkLimits];
    return {
      module: CoreModule,
      controllers: [HealthController, MetricsController],
      providers: [{ provide: NODE_CONFIG, useValue: config }, dataSourceProvider, DataSourceCloser, ...shared],
      exports: [NODE_CONFIG, DataSource, ...shared],
    };
  }
}
