import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, SupervisionStateView } from '@tdx/contracts';
import { Policy } from '../access/policy.decorator';
import { ApiRefusals } from '../common/api-docs';
import { pageOf } from '../common/paging';
import { SupervisionStatesQuery } from './dto/supervision-states.query';
import { SupervisionStatePageDto } from './dto/supervision-states.view';
import { SupervisionScope } from './supervision-scope';
import { SupervisionStates } from './supervision-states.service';
import type { StoredSupervisionState } from './supervision-state.repository';

/** The supervision states held here (this node's own and its subtree's), each with the signed text that proves who computed it. */
@ApiTags('supervision')
@Controller('api/v1/supervision')
export class SupervisionStatesController {
  constructor(
    private readonly states: SupervisionStates,
    private readonly scope: SupervisionScope,
  ) {}

  @Get('states')
  @Policy('supervision:read')
  @ApiOperation({ summary: "The newest version of each supervision state of one topic held here, this node's and its subtree's, with its signature" })
  @ApiOkResponse({ type: SupervisionStatePageDto })
  @ApiRefusals('invalid', 'refused')
  async list(@Query() query: SupervisionStatesQuery): Promise<Page<SupervisionStateView>> {
    const within = this.scope.resolve(query.within);
    const after = query.after ? { origin: query.after.slice(0, 6), key: query.after.slice(7) } : undefined;
    const found = await this.states.find({ topic: query.topic, within, keyPrefix: query.key, limit: query.limit, after });
    const last = found[found.length - 1];
    return pageOf(found.map(toView), query.limit, last ? `${last.origin}:${last.key}` : undefined);
  }
}

export function toView(s: StoredSupervisionState): SupervisionStateView {
  return {
    origin: s.origin,
    topic: s.topic,
    key: s.key,
    version: s.version,
    computedAt: s.computedAt,
    receivedAt: s.receivedAt,
    data: s.data,
    signature: { payload: s.envelope.payload, sig: s.envelope.sig },
  };
}
