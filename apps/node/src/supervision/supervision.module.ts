import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { SupervisionStateRepository } from './supervision-state.repository';
import { SupervisionStates } from './supervision-states.service';
import { SupervisionScope } from './supervision-scope';
import { SupervisionStatesController } from './supervision-states.controller';

/**
 * Supervision figures carried up the tree as signed states (libs/contracts, supervision): this
 * node publishes its own, the federation's link workers apply its subtree's (SupervisionStates,
 * SupervisionStateRepository), and the figures' own modules (quality, access, resources, projects,
 * assessment) compute and read them.
 */
@Module({
  imports: [OutboxModule],
  controllers: [SupervisionStatesController],
  providers: [SupervisionStateRepository, SupervisionStates, SupervisionScope],
  exports: [SupervisionStateRepository, SupervisionStates, SupervisionScope],
})
export class SupervisionModule {}
