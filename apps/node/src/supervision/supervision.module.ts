import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { SupervisionStateRepository } from './supervision-state.repository';
import { SupervisionStates } from './supervision-states.service';

/**
 * Supervision figures carried up the tree as signed states (libs/contracts, supervision): this
 * node publishes its own, the federation's link workers apply its subtree's (SupervisionStates,
 * SupervisionStateRepository), and the figures' own modules (quality, access, resources, projects,
 * assessment) compute and read them.
 */
@Module({
  imports: [OutboxModule],
  providers: [SupervisionStateRepository, SupervisionStates],
  exports: [SupervisionStateRepository, SupervisionStates],
})
export class SupervisionModule {}
