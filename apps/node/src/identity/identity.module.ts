import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { OutboxModule } from '../outbox/outbox.module';
import { NodeAdmissionService } from './node-admission.service';
import { NodeIdentityController } from './node-identity.controller';
import { NodeIdentityService } from './node-identity.service';
import { NodeRegistryRepository } from './node-registry.repository';
import { TrustListRepository } from './trust-list.repository';
import { TrustListService } from './trust-list.service';

/** Node identity and trust: who is admitted below this node, on whose word, and the province's signed trust list. */
@Module({
  imports: [OutboxModule, AuditModule],
  controllers: [NodeIdentityController],
  providers: [NodeRegistryRepository, NodeAdmissionService, NodeIdentityService, TrustListRepository, TrustListService],
  exports: [NodeRegistryRepository, NodeAdmissionService, TrustListService],
})
export class IdentityModule {}
