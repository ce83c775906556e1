import type { Provider, Type } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { DatasetContent1764300000000 } from './migrations/1764300000000-dataset-content';

/** Dataset content of `data` entries (issue 3): what this feature adds to a node. */
export const datasetsFeature: { controllers: Type<unknown>[]; providers: Provider[]; migrations: Type<MigrationInterface>[] } = {
  controllers: [],
  providers: [],
  migrations: [DatasetContent1764300000000],
};
