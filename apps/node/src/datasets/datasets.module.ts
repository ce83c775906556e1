import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { DatasetsController } from './datasets.controller';
import { DatasetsService } from './datasets.service';
import { DatasetRowRepository } from './dataset-row.repository';
import { UploadSpools } from './upload-spool';

/** The rows of this node's own `data` entries: uploads, content, changes and masked copies. */
@Module({
  imports: [CatalogModule],
  controllers: [DatasetsController],
  providers: [DatasetRowRepository, DatasetsService, UploadSpools],
  exports: [DatasetRowRepository],
})
export class DatasetsModule {}
