import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import type { HealthView, LivenessView } from '@tdx/contracts';
import { NatsLink } from './nats-link';
import { Public } from '../access/policy.decorator';
import { HealthViewDto, LivenessViewDto } from './dto/health.view';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly nats: NatsLink,
  ) {}

  /** Readiness: 200 when the database and NATS both answer, else 503 naming what is down. */
  @Get()
  @Public()
  @ApiOperation({ summary: 'Readiness: the database and NATS both answer' })
  @ApiOkResponse({ type: HealthViewDto })
  @ApiResponse({ status: 503, description: 'The database or NATS does not answer: `checks` says which.', type: HealthViewDto })
  async ready(@Res() response: Response): Promise<void> {
    const database = await this.dataSource.query('SELECT 1').then(
      () => 'up' as const,
      () => 'down' as const,
    );
    const nats = this.nats.isConnected() ? 'up' : 'down';
    const ok = database === 'up' && nats === 'up';
    const body: HealthView = { status: ok ? 'ok' : 'unavailable', checks: { database, nats } };
    response.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
  }

  /** Liveness: the process answers. */
  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LivenessViewDto })
  live(): LivenessView {
    return { status: 'ok' };
  }
}
