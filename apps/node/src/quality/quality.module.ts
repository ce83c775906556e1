import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { DatasetsModule } from '../datasets/datasets.module';
import { SupervisionModule } from '../supervision/supervision.module';
import { LeasesModule } from '../leases/leases.module';
import { QualitySchedule } from './quality-schedule.service';
import { QualityController } from './quality.controller';
import { QualityRepository } from './quality.repository';
import { QualityService } from './quality.service';

/**
 * Conformance and quality checks (Article 7): reads this node's catalog entries and datasets,
 * keeps its results (quality_rule_set, quality_result), and publishes the scores upward as
 * supervision states of topic `quality`.
 */
@Module({
  imports: [CatalogModule, DatasetsModule, SupervisionModule, LeasesModule],
  controllers: [QualityController],
  providers: [QualityRepository, QualityService, QualitySchedule],
  exports: [QualityService],
})
export class QualityModule {}
