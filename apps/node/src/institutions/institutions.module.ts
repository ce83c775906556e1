import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { InstitutionRepository } from './institution.repository';
import { InstitutionsController } from './institutions.controller';
import { InstitutionsService } from './institutions.service';

/** Public management and service institutions registered at this node, and their replicas. */
@Module({
  imports: [OutboxModule],
  controllers: [InstitutionsController],
  providers: [InstitutionRepository, InstitutionsService],
  exports: [InstitutionRepository],
})
export class InstitutionsModule {}
