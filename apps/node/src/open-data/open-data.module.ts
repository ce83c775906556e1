import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { OpenDataController } from './open-data.controller';

/** What the public reaches without an account: the open catalog. */
@Module({
  imports: [CatalogModule],
  controllers: [OpenDataController],
})
export class OpenDataModule {}
