import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { DatasetsModule } from '../datasets/datasets.module';
import { IdentityModule } from '../identity/identity.module';
import { ReturnsController } from './returns.controller';
import { ReturnRequestRepository } from './return-request.repository';
import { ReturnJobRepository } from './return-job.repository';
import { ReturnedRowRepository } from './returned-row.repository';
import { ReturnsService } from './returns.service';
import { ReturnHolderService } from './return-holder.service';
import { ReturnTransferService } from './return-transfer.service';
import { ReturnWire } from './return-wire';
import { ReturnedRowsWriter } from './returned-rows.writer';
import { ReturnMetrics } from './return-metrics';
import { LeasesModule } from '../leases/leases.module';

/** Return of data downward (Article 9): requests and decisions, the holder's answers, transfer jobs. */
@Module({
  imports: [IdentityModule, CatalogModule, DatasetsModule, AuditModule, LeasesModule],
  controllers: [ReturnsController],
  providers: [
    ReturnRequestRepository,
    ReturnJobRepository,
    ReturnedRowRepository,
    ReturnWire,
    ReturnHolderService,
    ReturnTransferService,
    ReturnedRowsWriter,
    ReturnMetrics,
    ReturnsService,
  ],
  // The transfer's writing and reading side, reused by share deliveries (sharing/share-deliveries.service.ts).
  exports: [ReturnedRowsWriter, ReturnedRowRepository],
})
export class ReturnsModule {}
