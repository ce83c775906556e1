import { Module } from '@nestjs/common';
import { FederationModule } from '../federation/federation.module';
import { LeasesModule } from '../leases/leases.module';
import { MetricSampleRepository } from './metric-sample.repository';
import { MetricsHistoryController } from './metrics-history.controller';
import { MetricsSampler } from './metrics-sampler.service';

/** The metrics history behind the console's charts: a sampler writing each minute, and its endpoint. */
@Module({
  imports: [FederationModule, LeasesModule],
  controllers: [MetricsHistoryController],
  providers: [MetricSampleRepository, MetricsSampler],
})
export class MetricsHistoryModule {}
