import { Global, Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { Channel } from './channel';
import { ChannelController } from './channel.controller';
import { ChannelMetrics } from './channel-metrics';
import { ChannelOutboxRepository } from './channel-outbox.repository';
import { ChannelRelay } from './channel-relay';
import { NatsChannel } from './nats-channel';
import { LeasesModule } from '../leases/leases.module';

/**
 * The one channel of Article 10 (docs/protocol.md, "The channel"): global within a node, since
 * every feature that shares or opens data goes through it and through nothing else.
 */
@Global()
@Module({
  imports: [IdentityModule, LeasesModule],
  controllers: [ChannelController],
  providers: [NatsChannel, { provide: Channel, useExisting: NatsChannel }, ChannelOutboxRepository, ChannelMetrics, ChannelRelay],
  exports: [Channel],
})
export class ChannelModule {}
