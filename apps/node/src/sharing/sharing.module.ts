import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CatalogModule } from '../catalog/catalog.module';
import { DatasetsModule } from '../datasets/datasets.module';
import { SearchModule } from '../search/search.module';
import { ReturnsModule } from '../returns/returns.module';
import { ShareDeliveries } from './share-deliveries.service';
import { ShareDeliveryRepository } from './share-delivery.repository';
import { SharesController } from './shares.controller';
import { SharesService } from './shares.service';
import { ShareMessages } from './share-messages.service';
import { ShareRequestRepository } from './share-request.repository';
import { ShareClock, ShareDeadlines } from './share-clock';
import { ShareMetrics } from './share-metrics';

/**
 * Sharing between institutions anywhere in the province (Article 10): requests and grants at both
 * ends, decisions by share type within working-day deadlines, and queries through the channel
 * (global, ChannelModule), the grant checked by the provider on every call; deliveries of a whole
 * grant into the consumer's node by the return transfer's machinery (ReturnsModule's writer).
 */
@Module({
  imports: [CatalogModule, DatasetsModule, AuditModule, SearchModule, ReturnsModule],
  controllers: [SharesController],
  providers: [ShareRequestRepository, ShareClock, ShareDeadlines, ShareMetrics, SharesService, ShareMessages, ShareDeliveryRepository, ShareDeliveries],
  // Project review reads an institution's sharing record (Article 12 (d)).
  exports: [ShareRequestRepository],
})
export class SharingModule {}
