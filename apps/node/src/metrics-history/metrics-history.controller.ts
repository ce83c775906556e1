import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { MetricsHistoryView } from '@tdx/contracts';
import { DataSource } from 'typeorm';
import { Policy } from '../access/policy.decorator';
import { ApiRefusals } from '../common/api-docs';
import { HistoryQuery } from './dto/history.query';
import { MetricsHistoryViewDto } from './dto/history.view';
import { MetricSampleRepository } from './metric-sample.repository';

/** The recent past of a few metrics, for the console's charts (Prometheus keeps the full record). */
@ApiTags('metrics')
@Controller('api/v1/metrics')
export class MetricsHistoryController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly samples: MetricSampleRepository,
  ) {}

  @Get('history')
  @Policy('metrics:read')
  @ApiOperation({ summary: 'One series of the metrics history, one sample per minute, over the last hours (up to 7 days)' })
  @ApiOkResponse({ type: MetricsHistoryViewDto })
  @ApiRefusals('invalid')
  async history(@Query() query: HistoryQuery): Promise<MetricsHistoryView> {
    return { series: query.series, points: await this.samples.history(this.dataSource.manager, query.series, query.hours) };
  }
}
