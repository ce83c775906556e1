import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { CatalogSearchRepository } from './catalog-search.repository';
import { ProvinceCatalog } from './province-catalog';
import { ProvinceCatalogService } from './province-catalog.service';
import { SearchController } from './search.controller';

/** Province-wide search from any node (Article 10): the province answers, through the channel. */
@Module({
  imports: [CatalogModule],
  controllers: [SearchController],
  providers: [CatalogSearchRepository, ProvinceCatalogService, { provide: ProvinceCatalog, useExisting: ProvinceCatalogService }],
  exports: [ProvinceCatalog],
})
export class SearchModule {}
