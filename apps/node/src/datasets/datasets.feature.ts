import type { Provider, Type } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { DatasetsController } from './datasets.controller';
import { DatasetsService } from './datasets.service';
import { DatasetRowRepository } from './dataset-row.repository';
import { UploadSpools } from './upload-spool';
import { DatasetContent1764300000000 } from './migrations/1764300000000-dataset-content';
import { RegionChangeSeqIndex1764310000000 } from './migrations/1764310000000-region-change-seq-index';

/** Dataset content of `data` entries (rows uploaded as CSV or JSON): what this feature adds to a node. */
export const datasetsFeature: { controllers: Type<unknown>[]; providers: Provider[]; migrations: Type<MigrationInterface>[] } = {
  controllers: [DatasetsController],
  providers: [DatasetRowRepository, DatasetsService, UploadSpools],
  migrations: [DatasetContent1764300000000, RegionChangeSeqIndex1764310000000],
};
