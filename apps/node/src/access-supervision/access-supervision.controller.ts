import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessAlertListView, AccessRollupView, AccessRunView } from '@tdx/contracts';
import { Policy } from '../access/policy.decorator';
import { ApiRefusals } from '../common/api-docs';
import { WithinQuery } from '../supervision/dto/supervision-states.query';
import { AccessAlertListViewDto, AccessRollupViewDto, AccessRunViewDto } from './dto/access.view';
import { AccessSupervision } from './access-supervision.service';

/** Access supervision (Article 7): figures and alerts of this node and its subtree, and a run on demand. */
@ApiTags('supervision')
@Controller('api/v1/supervision')
export class AccessSupervisionController {
  constructor(private readonly supervision: AccessSupervision) {}

  @Get('access')
  @Policy('supervision:read')
  @ApiOperation({ summary: "Access figures of this node and its subtree (each node's newest), with totals" })
  @ApiOkResponse({ type: AccessRollupViewDto })
  @ApiRefusals('invalid', 'refused')
  rollup(@Query() query: WithinQuery): Promise<AccessRollupView> {
    return this.supervision.rollup(query.within);
  }

  @Get('alerts')
  @Policy('supervision:read')
  @ApiOperation({ summary: 'Current access alerts of this node and its subtree' })
  @ApiOkResponse({ type: AccessAlertListViewDto })
  @ApiRefusals('invalid', 'refused')
  alerts(@Query() query: WithinQuery): Promise<AccessAlertListView> {
    return this.supervision.alerts(query.within);
  }

  @Post('access/run')
  @Policy('supervision:manage')
  @HttpCode(200)
  @ApiOperation({ summary: "Compute this node's access figures now and publish them up the tree (unchanged figures are not published again)" })
  @ApiOkResponse({ type: AccessRunViewDto })
  run(): Promise<AccessRunView> {
    return this.supervision.run();
  }
}
