import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { DatasetsModule } from '../datasets/datasets.module';
import { SearchModule } from '../search/search.module';
import { OpenApplicationRepository } from './open-application.repository';
import { OpenApplicationsController } from './open-applications.controller';
import { OpenApplicationsService } from './open-applications.service';
import { OpenCatalogService } from './open-catalog.service';
import { OpenDataController } from './open-data.controller';
import { OpenEntries } from './open-entries';
import { OpenRowsService } from './open-rows.service';

/**
 * What the public reaches without an account (Article 10): the province's open catalog, open
 * rows and downloads, applications for restricted data; and the provider's decisions on them.
 * Needs the channel (global) and the province catalog.
 */
@Module({
  imports: [AuditModule, CatalogModule, DatasetsModule, SearchModule],
  controllers: [OpenDataController, OpenApplicationsController],
  providers: [OpenApplicationRepository, OpenApplicationsService, OpenCatalogService, OpenEntries, OpenRowsService],
})
export class OpenDataModule {}
