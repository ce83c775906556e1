import { Module } from '@nestjs/common';
import { WorkerLeaseRepository } from './worker-lease.repository';
import { WorkerLeases } from './worker-leases';

/** Leases that let several replicas of one node share its background work, each task on one replica at a time. */
@Module({
  providers: [WorkerLeaseRepository, WorkerLeases],
  exports: [WorkerLeases, WorkerLeaseRepository],
})
export class LeasesModule {}
