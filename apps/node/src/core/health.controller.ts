import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { NatsLink } from './nats-link';
import { Public } from '../access/policy.decorator';

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
  async ready(@Res() response: Response): Promise<void> {
    const database = await this.dataSource.query('SELECT 1').then(
      () => 'up',
      () => 'down',
    );
    const nats = this.nats.isConnected() ? 'up' : 'down';
    const ok = database === 'up' && nats === 'up';
    response.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ status: ok ? 'ok' : 'unavailable', checks: { database, nats } });
  }

  /** Liveness: the process answers. */
  @Get('live')
  @Public()
  live() {
    return { status: 'ok' };
  }
}
