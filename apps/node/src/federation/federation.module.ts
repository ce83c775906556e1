import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { IdentityModule } from '../identity/identity.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ChildLinksService } from './child-links.service';
import { FederationController } from './federation.controller';
import { FederationStatusService } from './federation-status.service';
import { HeartbeatReceiverService } from './heartbeat-receiver.service';
import { HeartbeatSenderService } from './heartbeat-sender.service';
import { KeyRotationController } from './key-rotation.controller';
import { KeyRotationService } from './key-rotation.service';
import { LinkStateRepository } from './link-state.repository';
import { NodeInfoController } from './node-info.controller';
import { ParentLinkService } from './parent-link.service';
import { RecordApplier } from './record-applier';
import { RejectedMessageRepository } from './rejected-message.repository';
import { ParkedMessageRepository } from './parked-message.repository';
import { ParkedMessagesService } from './parked-messages.service';
import { ReplicaRules } from './replica-rules';
import { LeasesModule } from '../leases/leases.module';
import { SupervisionModule } from '../supervision/supervision.module';

/**
 * The links of the tree: replication upward (the relay to the parent, a worker per child link that
 * verifies, re-checks and applies), heartbeats and link health, link state and digests, and rotating this node's key over the link.
 */
@Module({
  imports: [OutboxModule, IdentityModule, CatalogModule, InstitutionsModule, AuditModule, LeasesModule, SupervisionModule],
  controllers: [FederationController, NodeInfoController, KeyRotationController],
  providers: [
    LinkStateRepository,
    RejectedMessageRepository,
    ParkedMessageRepository,
    ParkedMessagesService,
    ReplicaRules,
    RecordApplier,
    ParentLinkService,
    ChildLinksService,
    FederationStatusService,
    KeyRotationService,
    HeartbeatSenderService,
    HeartbeatReceiverService,
  ],
  exports: [FederationStatusService],
})
export class FederationModule {}
