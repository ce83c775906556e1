import { DynamicModule, Module } from '@nestjs/common';
import { NODE_CONFIG, NodeRuntimeConfig } from './config/node-config';
import { DataSourceCloser, dataSourceProvider } from './database/database.provider';
import { InstitutionsController } from './institutions/institutions.controller';
import { InstitutionsService } from './institutions/institutions.service';
import { InstitutionRepository } from './institutions/institution.repository';
import { CatalogController } from './catalog/catalog.controller';
import { CatalogService } from './catalog/catalog.service';
import { CatalogEntryRepository } from './catalog/catalog-entry.repository';
import { ChildLinksService } from './federation/child-links.service';
import { FederationController } from './federation/federation.controller';
import { NodeIdentityController } from './identity/node-identity.controller';
import { NodeIdentityService } from './identity/node-identity.service';
import { KeyRotationService } from './federation/key-rotation.service';
import { TrustListRepository } from './identity/trust-list.repository';
import { TrustListService } from './identity/trust-list.service';
import { FederationStatusService } from './federation/federation-status.service';
import { LinkStateRepository } from './federation/link-state.repository';
import { NodeRegistryRepository } from './identity/node-registry.repository';
import { NodeAdmissionService } from './identity/node-admission.service';
import { NatsLink } from './core/nats-link';
import { OutboxRepository } from './outbox/outbox.repository';
import { OutboxSignal } from './outbox/outbox-signal';
import { ParentLinkService } from './federation/parent-link.service';
import { RecordApplier } from './federation/record-applier';
import { ReplicaRules } from './federation/replica-rules';
import { RequestLimits } from './core/nats-request-limits';
import { RejectedMessageRepository } from './federation/rejected-message.repository';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsRegistry } from './metrics/metrics.registry';
import { WorkLimits } from './hardening/work-limits';
import { NodeInfoController } from './federation/node-info.controller';
import { datasetsFeature } from './datasets/datasets.feature';
import { returnsFeature } from './returns/returns.feature';
import { authFeature } from './auth/auth.feature';
import { auditFeature } from './audit/audit.feature';

/** One node: everything is provided per instance, so one process can host several nodes (Article 9). */
@Module({})
export class NodeModule {
  static forNode(config: NodeRuntimeConfig): DynamicModule {
    return {
      module: NodeModule,
      controllers: [
        NodeInfoController, InstitutionsController, CatalogController, FederationController, NodeIdentityController, HealthController, MetricsController,
        ...datasetsFeature.controllers, ...returnsFeature.controllers, ...auditFeature.controllers, ...authFeature.controllers,
      ],
      providers: [
        { provide: NODE_CONFIG, useValue: config },
        dataSourceProvider, DataSourceCloser,
        MetricsRegistry, WorkLimits,
        InstitutionRepository, InstitutionsService,
        CatalogEntryRepository, CatalogService,
        OutboxRepository, OutboxSignal, LinkStateRepository, NodeRegistryRepository, NodeAdmissionService, NatsLink, RecordApplier, ParentLinkService, ChildLinksService,
        FederationStatusService, TrustListRepository, TrustListService, NodeIdentityService, KeyRotationService,
        ReplicaRules, RejectedMessageRepository, RequestLimits,
        ...datasetsFeature.providers, ...returnsFeature.providers, ...auditFeature.providers, ...authFeature.providers,
      ],
    };
  }
}
