import { Module } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository';
import { OutboxSignal } from './outbox-signal';

/** The transactional outbox: records written with the change they describe, relayed to the parent. */
@Module({
  providers: [OutboxRepository, OutboxSignal],
  exports: [OutboxRepository, OutboxSignal],
})
export class OutboxModule {}
