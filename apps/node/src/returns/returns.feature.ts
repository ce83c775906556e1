import type { Provider, Type } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';

/** Return of data downward (Article 9, issue 3): what this feature adds to a node. */
export const returnsFeature: { controllers: Type<unknown>[]; providers: Provider[]; migrations: Type<MigrationInterface>[] } = {
  controllers: [],
  providers: [],
  migrations: [],
};
