import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { InstitutionsModule } from '../institutions/institutions.module';
import { SharingModule } from '../sharing/sharing.module';
import { SupervisionModule } from '../supervision/supervision.module';
import { ProjectRepository } from './project.repository';
import { ProjectsController, ProjectSynonymsController, SupervisedProjectsController } from './projects.controller';
import { ProjectsService } from './projects.service';

/**
 * Digital project review (Article 12): declarations and stage reviews against the catalog (CatalogModule),
 * the institution's sharing record (SharingModule), published upward as supervision states (SupervisionModule).
 */
@Module({
  imports: [AuditModule, CatalogModule, InstitutionsModule, SharingModule, SupervisionModule],
  // The synonyms' routes first: Express would otherwise give GET /projects/synonyms to GET /projects/:id.
  controllers: [ProjectSynonymsController, ProjectsController, SupervisedProjectsController],
  providers: [ProjectRepository, ProjectsService],
})
export class ProjectsModule {}
