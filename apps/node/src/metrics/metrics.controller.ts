import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FederationStatusService } from '../federation/federation-status.service';
import { MetricsRegistry } from './metrics.registry';
import { Policy } from '../access/policy.decorator';

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry, private readonly federation: FederationStatusService) {}

  @Get()
  @Policy('metrics:read')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async scrape(): Promise<string> {
    // Refreshes the backlog and pending gauges from the database and the consumers.
    await this.federation.status().catch(() => undefined);
    return this.metrics.registry.metrics();
  }
}
