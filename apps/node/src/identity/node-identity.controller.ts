import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FederationNodeListView, FederationNodeView, TrustListView } from '@tdx/contracts';
import { actorOf, Principal } from '../access/principal';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { Policy } from '../access/policy.decorator';
import { divisionCodeParam } from '../common/id-fields';
import { ApiRefusals } from '../common/api-docs';
import { ListNodesQuery, NodeApprovalDto, NodeDecisionDto, NodeRejectionDto } from './dto/node-identity.dto';
import { FederationNodeListViewDto, FederationNodeViewDto, TrustListViewDto } from './dto/node-identity.view';
import { NodeIdentityService } from './node-identity.service';

function divisionCode(code: string): string {
  return divisionCodeParam(code, 'code');
}

/** The `code` path parameter: a six-digit division code. */
const CodeParam = () => ApiParam({ name: 'code', schema: { type: 'string', pattern: '^\\d{6}$' }, description: 'division code of the node' });

/** Node identity (docs/protocol.md, "Node identity"): joins waiting for approval, rejection, revocation, and the trust list this node holds. */
@ApiTags('federation')
@ApiRefusals('invalid')
@Controller('api/v1/federation')
export class NodeIdentityController {
  constructor(private readonly identity: NodeIdentityService) {}

  @Get('nodes')
  @Policy('federation:read')
  @ApiOperation({ summary: 'Nodes known here and joins waiting for a decision' })
  @ApiOkResponse({ type: FederationNodeListViewDto })
  list(@Query() query: ListNodesQuery): Promise<FederationNodeListView> {
    return this.identity.list(query.status);
  }

  @Post('nodes/:code/approve')
  @Policy('federation:administer')
  @HttpCode(200)
  @CodeParam()
  @ApiOperation({ summary: 'Approve a pending join (or re-admit a revoked node)' })
  @ApiOkResponse({ type: FederationNodeViewDto })
  @ApiRefusals('not-found', 'conflict', 'refused')
  approve(@Param('code') code: string, @Body() dto: NodeApprovalDto, @CurrentPrincipal() principal: Principal): Promise<FederationNodeView> {
    return this.identity.approve(divisionCode(code), actorOf(principal), dto?.publicKey);
  }

  @Post('nodes/:code/reject')
  @Policy('federation:administer')
  @HttpCode(200)
  @CodeParam()
  @ApiOperation({ summary: 'Reject a pending join' })
  @ApiOkResponse({ type: FederationNodeViewDto })
  @ApiRefusals('conflict')
  reject(@Param('code') code: string, @Body() dto: NodeRejectionDto, @CurrentPrincipal() principal: Principal): Promise<FederationNodeView> {
    return this.identity.reject(divisionCode(code), actorOf(principal), dto.reason, dto.publicKey);
  }

  @Post('nodes/:code/revoke')
  @Policy('federation:administer')
  @HttpCode(200)
  @CodeParam()
  @ApiOperation({ summary: "Revoke an admitted node's key" })
  @ApiOkResponse({ type: FederationNodeViewDto })
  @ApiRefusals('not-found', 'conflict')
  revoke(@Param('code') code: string, @Body() dto: NodeDecisionDto, @CurrentPrincipal() principal: Principal): Promise<FederationNodeView> {
    return this.identity.revoke(divisionCode(code), actorOf(principal), dto.reason);
  }

  @Get('trust-list')
  @Policy('federation:read')
  @ApiOperation({ summary: 'The trust list this node holds' })
  @ApiOkResponse({ type: TrustListViewDto })
  trustList(): TrustListView {
    return this.identity.trustList();
  }

  /**
   * Drops the trust list this node holds and fetches its parent's anew (fail closed until it
   * arrives): the way out for a node that holds a list it should not, without editing its database.
   */
  @Post('trust-list/reset')
  @Policy('federation:administer')
  @HttpCode(200)
  @ApiOperation({ summary: "Drop the trust list held and fetch the parent's anew" })
  @ApiOkResponse({ type: TrustListViewDto })
  resetTrustList(@Body() dto: NodeDecisionDto, @CurrentPrincipal() principal: Principal): Promise<TrustListView> {
    return this.identity.resetTrustList(actorOf(principal), dto.reason);
  }
}
