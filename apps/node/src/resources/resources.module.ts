import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { SupervisionModule } from '../supervision/supervision.module';
import { ResourceRepository } from './resource.repository';
import { ResourcesController, ResourcesOverviewController } from './resources.controller';
import { ResourcesService } from './resources.service';

/**
 * Article 11's integrated management of resources: needs the catalog (entries and who may act on
 * them), the institutions (allocations go to one) and the supervision carrier (the summary state).
 */
@Module({
  imports: [CatalogModule, InstitutionsModule, SupervisionModule],
  controllers: [ResourcesController, ResourcesOverviewController],
  providers: [ResourceRepository, ResourcesService],
  exports: [ResourcesService],
})
export class ResourcesModule {}
