import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { OpenApplicationView, Page } from '@tdx/contracts';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { Policy } from '../access/policy.decorator';
import type { Principal } from '../access/principal';
import { ApiRefusals } from '../common/api-docs';
import { uuidParam } from '../common/id-fields';
import { ApproveOpenApplicationDto, ListOpenApplicationsQuery, RejectOpenApplicationDto } from './dto/open-data.dto';
import { OpenApplicationPageDto, OpenApplicationViewDto } from './dto/open-entry.view';
import { OpenApplicationsService } from './open-applications.service';

const uuid = uuidParam('id');

/**
 * The provider's side of applications for restricted open data: at the entry's origin, its
 * institution admin (own institution's entries) or the node's operator lists and decides. Outside
 * /api/v1/open: these are signed-in routes, not the public's.
 */
@ApiTags('open data')
@ApiRefusals('invalid')
@Controller('api/v1/open-applications')
export class OpenApplicationsController {
  constructor(private readonly applications: OpenApplicationsService) {}

  @Get()
  @Policy('open:decide')
  @ApiOperation({ summary: "Applications for this node's restricted open data" })
  @ApiOkResponse({ type: OpenApplicationPageDto })
  list(@Query() query: ListOpenApplicationsQuery, @CurrentPrincipal() actor: Principal): Promise<Page<OpenApplicationView>> {
    return this.applications.list(actor, query);
  }

  @Post(':id/approve')
  @Policy('open:decide')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve an application: its token opens the data until the expiry' })
  @ApiOkResponse({ type: OpenApplicationViewDto })
  @ApiRefusals('not-found', 'conflict', 'refused')
  approve(@Param('id', uuid) id: string, @Body() dto: ApproveOpenApplicationDto, @CurrentPrincipal() actor: Principal): Promise<OpenApplicationView> {
    return this.applications.approve(actor, id, dto.reason, dto.days);
  }

  @Post(':id/reject')
  @Policy('open:decide')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject an application, with the reason the applicant sees' })
  @ApiOkResponse({ type: OpenApplicationViewDto })
  @ApiRefusals('not-found', 'conflict')
  reject(@Param('id', uuid) id: string, @Body() dto: RejectOpenApplicationDto, @CurrentPrincipal() actor: Principal): Promise<OpenApplicationView> {
    return this.applications.reject(actor, id, dto.reason);
  }
}
