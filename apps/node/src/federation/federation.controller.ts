import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FederationDigestView, FederationStatusView } from '@tdx/contracts';
import { FederationStatusService } from './federation-status.service';
import { Policy } from '../access/policy.decorator';
import { FederationDigestViewDto, FederationStatusViewDto } from './dto/federation.view';

@ApiTags('federation')
@Controller('api/v1/federation')
export class FederationController {
  constructor(private readonly federation: FederationStatusService) {}

  /** Per link: last applied position, outbox backlog, lag, last error. */
  @Get('status')
  @Policy('federation:read')
  @ApiOperation({ summary: 'State of the links to the parent and the children, and of the trust list' })
  @ApiOkResponse({ type: FederationStatusViewDto })
  status(): Promise<FederationStatusView> {
    return this.federation.status();
  }

  /** Per origin: entry count and a digest over (id, version, status), equal at every tier that holds that origin. */
  @Get('digest')
  @Policy('federation:read')
  @ApiOperation({ summary: 'Per origin: entry count and a digest to compare between tiers' })
  @ApiOkResponse({ type: FederationDigestViewDto })
  digest(): Promise<FederationDigestView> {
    return this.federation.digest();
  }
}
