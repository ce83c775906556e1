import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { CatalogController } from './catalog.controller';
import { CatalogEntryRepository } from './catalog-entry.repository';
import { CatalogService } from './catalog.service';
import { InstitutionScope } from './institution-scope';

/** The catalog of resources, local and replicated, and which institution staff may act on which entry. */
@Module({
  imports: [OutboxModule, InstitutionsModule],
  controllers: [CatalogController],
  providers: [CatalogEntryRepository, CatalogService, InstitutionScope],
  exports: [CatalogEntryRepository, InstitutionScope],
})
export class CatalogModule {}
