import { DynamicModule, Module } from '@nestjs/common';
import type { NodeRuntimeConfig } from './config/node-config';
import { CoreModule } from './core/core.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { OutboxModule } from './outbox/outbox.module';
import { InstitutionsModule } from './institutions/institutions.module';
import { CatalogModule } from './catalog/catalog.module';
import { OpenDataModule } from './open-data/open-data.module';
import { IdentityModule } from './identity/identity.module';
import { FederationModule } from './federation/federation.module';
import { DatasetsModule } from './datasets/datasets.module';
import { ReturnsModule } from './returns/returns.module';
import { ChannelModule } from './channel/channel.module';
import { SharingModule } from './sharing/sharing.module';
import { SearchModule } from './search/search.module';
import { MetricsHistoryModule } from './metrics-history/metrics-history.module';
import { SupervisionModule } from './supervision/supervision.module';
import { AccessSupervisionModule } from './access-supervision/access-supervision.module';
import { QualityModule } from './quality/quality.module';
import { ProjectsModule } from './projects/projects.module';
import { ResourcesModule } from './resources/resources.module';
import { AssessmentModule } from './assessment/assessment.module';

/**
 * One node: its core (configuration, database, NATS, metrics), made for this node, and the feature
 * modules, each stating what it needs and offers. Nothing is process-wide, so one process can host
 * several nodes (Article 9), each its own Nest application.
 */
@Module({})
export class NodeModule {
  static forNode(config: NodeRuntimeConfig): DynamicModule {
    return {
      module: NodeModule,
      imports: [
        CoreModule.forNode(config),
        AuditModule,
        AuthModule,
        OutboxModule,
        InstitutionsModule,
        CatalogModule,
        OpenDataModule,
        IdentityModule,
        ChannelModule,
        SearchModule,
        FederationModule,
        SupervisionModule,
        QualityModule,
        ResourcesModule,
        AssessmentModule,
        DatasetsModule,
        ReturnsModule,
        SharingModule,
        MetricsHistoryModule,
        AccessSupervisionModule,
        ProjectsModule,
      ],
    };
  }
}
