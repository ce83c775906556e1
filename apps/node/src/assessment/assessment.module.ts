import { Module } from '@nestjs/common';
import { SupervisionModule } from '../supervision/supervision.module';
import { AssessmentController } from './assessment.controller';
import { AssessmentRepository } from './assessment.repository';
import { AssessmentService } from './assessment.service';

/**
 * The annual assessment (Article 5): reads the subtree's supervision states (quality, access) and
 * the catalog replicas this node holds; owns the weight sets.
 */
@Module({
  imports: [SupervisionModule],
  controllers: [AssessmentController],
  providers: [AssessmentRepository, AssessmentService],
})
export class AssessmentModule {}
