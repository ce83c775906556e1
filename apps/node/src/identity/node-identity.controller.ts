import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { actorOf, Principal } from '../access/principal';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { Policy } from '../access/policy.decorator';
import { divisionCodeParam } from '../common/id-fields';
import { ListNodesQuery, NodeApprovalDto, NodeDecisionDto, NodeRejectionDto } from './dto/node-identity.dto';
import { NodeIdentityService } from './node-identity.service';

function divisionCode(code: string): string {
  return divisionCodeParam(code, 'code');
}

/** Node identity (docs/protocol.md, "Node identity"): joins waiting for approval, rejection, revocation, and the trust list this node holds. */
@ApiTags('federation')
@Controller('api/v1/federation')
export class NodeIdentityController {
  constructor(private readonly identity: NodeIdentityService) {}

  @Get('nodes')
  @Policy('federation:read')
  list(@Query() query: ListNodesQuery) {
    return this.identity.list(query.status);
  }

  @Post('nodes/:code/approve')
  @Policy('federation:administer')
  @HttpCode(200)
  approve(@Param('code') code: string, @Body() dto: NodeApprovalDto, @CurrentPrincipal() principal: Principal) {
    return this.identity.approve(divisionCode(code), actorOf(principal), dto?.publicKey);
  }

  @Post('nodes/:code/reject')
  @Policy('federation:administer')
  @HttpCode(200)
  reject(@Param('code') code: string, @Body() dto: NodeRejectionDto, @CurrentPrincipal() principal: Principal) {
    return this.identity.reject(divisionCode(code), actorOf(principal), dto.reason, dto.publicKey);
  }

  @Post('nodes/:code/revoke')
  @Policy('federation:administer')
  @HttpCode(200)
  revoke(@Param('code') code: string, @Body() dto: NodeDecisionDto, @CurrentPrincipal() principal: Principal) {
    return this.identity.revoke(divisionCode(code), actorOf(principal), dto.reason);
  }

  @Get('trust-list')
  @Policy('federation:read')
  trustList() {
    return this.identity.trustList();
  }

  /**
   * Drops the trust list this node holds and fetches its parent's anew (fail closed until it
   * arrives): the way out for a node that holds a list it should not, without editing its database.
   */
  @Post('trust-list/reset')
  @Policy('federation:administer')
  @HttpCode(200)
  resetTrustList(@Body() dto: NodeDecisionDto, @CurrentPrincipal() principal: Principal) {
    return this.identity.resetTrustList(actorOf(principal), dto.reason);
  }
}
