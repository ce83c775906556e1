import { Module } from '@nestjs/common';
import { FederationModule } from '../federation/federation.module';
import { LeasesModule } from '../leases/leases.module';
import { SupervisionModule } from '../supervision/supervision.module';
import { AccessMetrics } from './access-metrics';
import { AccessRecordsRepository } from './access-records.repository';
import { AccessSupervisionController } from './access-supervision.controller';
import { AccessSupervisionScheduler } from './access-supervision.scheduler';
import { AccessSupervision } from './access-supervision.service';

/**
 * Access supervision (Article 7): volumes, refusals, decisions, expiring grants, unusual volumes,
 * security events and link health, computed from this node's records and carried up the tree as
 * its `access` supervision state; the subtree's rolled up from theirs.
 */
@Module({
  imports: [SupervisionModule, FederationModule, LeasesModule],
  controllers: [AccessSupervisionController],
  providers: [AccessRecordsRepository, AccessSupervision, AccessMetrics, AccessSupervisionScheduler],
  exports: [AccessSupervision],
})
export class AccessSupervisionModule {}
