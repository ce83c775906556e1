import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FederationStatusService } from './federation-status.service';
import { Policy } from '../access/policy.decorator';

@ApiTags('federation')
@Controller('api/v1/federation')
export class FederationController {
  constructor(private readonly federation: FederationStatusService) {}

  /** Per link: last applied position, outbox backlog, lag, last error. */
  @Get('status')
  @Policy('federation:read')
  status() {
    return this.federation.status();
  }

  /** Per origin: entry count and a digest over (id, version, status), equal at every tier that holds that origin. */
  @Get('digest')
  @Policy('federation:read')
  digest() {
    return this.federation.digest();
  }
}
