import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, ShareDeliveryView, SharedRow, ShareRowsView, ShareView } from '@tdx/contracts';
import { uuidParam } from '../common/id-fields';
import { ApiRefusals } from '../common/api-docs';
import { Policy } from '../access/policy.decorator';
import { RecordedByFeature } from '../audit/recorded-by-feature.decorator';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import type { Principal } from '../access/principal';
import { SharesService } from './shares.service';
import { ShareDeliveries } from './share-deliveries.service';
import { ApproveShareDto, CreateShareDto, ListDeliveredRowsQuery, ListDeliveriesQuery, ListSharesQuery, QueryShareDto, ShareReasonDto } from './dto/shares.dto';
import { DeliveredRowsPageDto, SharePageDto, ShareDeliveryViewDto, ShareRowsViewDto, ShareViewDto } from './dto/shares.view';

const uuid = uuidParam('id');
const deliveryUuid = uuidParam('deliveryId');

/** Sharing between institutions anywhere in the province (Article 10): requests, decisions, grants and queries through the channel. */
@ApiTags('shares')
@ApiRefusals('invalid')
@Controller('api/v1/shares')
export class SharesController {
  constructor(
    private readonly shares: SharesService,
    private readonly deliveries: ShareDeliveries,
  ) {}

  @Post()
  @Policy('shares:request')
  @ApiOperation({ summary: 'Ask for a data resource of any institution in the province (Article 10)' })
  @ApiCreatedResponse({ type: ShareViewDto, description: 'Stored here and sent durably to the provider, which decides by share type.' })
  @ApiRefusals('not-found', 'refused', 'unavailable')
  request(@Body() dto: CreateShareDto, @CurrentPrincipal() principal: Principal): Promise<ShareView> {
    return this.shares.request(dto, principal);
  }

  @Get()
  @Policy('shares:read')
  @ApiOperation({ summary: 'List share requests: made here (outgoing) or for entries of this node (incoming)' })
  @ApiOkResponse({ type: SharePageDto })
  list(@Query() query: ListSharesQuery, @CurrentPrincipal() principal: Principal): Promise<Page<ShareView>> {
    return this.shares.list(query, principal);
  }

  @Get(':id')
  @Policy('shares:read')
  @ApiOperation({ summary: 'Show a share request with its history' })
  @ApiOkResponse({ type: ShareViewDto })
  @ApiRefusals('not-found')
  get(@Param('id', uuid) id: string, @CurrentPrincipal() principal: Principal): Promise<ShareView> {
    return this.shares.get(id, principal);
  }

  @Post(':id/approve')
  @Policy('shares:decide')
  @HttpCode(200)
  @ApiOperation({ summary: 'Grant a request for an entry of this node, with a reason (at the provider)' })
  @ApiOkResponse({ type: ShareViewDto })
  @ApiRefusals('not-found', 'refused')
  approve(@Param('id', uuid) id: string, @Body() dto: ApproveShareDto, @CurrentPrincipal() principal: Principal): Promise<ShareView> {
    return this.shares.approve(id, dto, principal);
  }

  @Post(':id/reject')
  @Policy('shares:decide')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a request for an entry of this node, with a reason (at the provider)' })
  @ApiOkResponse({ type: ShareViewDto })
  @ApiRefusals('not-found', 'refused')
  reject(@Param('id', uuid) id: string, @Body() dto: ShareReasonDto, @CurrentPrincipal() principal: Principal): Promise<ShareView> {
    return this.shares.reject(id, dto.reason, principal);
  }

  @Post(':id/revoke')
  @Policy('shares:decide')
  @HttpCode(200)
  @ApiOperation({ summary: 'End a grant at once, with a reason (at the provider); the consumer is told' })
  @ApiOkResponse({ type: ShareViewDto })
  @ApiRefusals('not-found', 'refused')
  revoke(@Param('id', uuid) id: string, @Body() dto: ShareReasonDto, @CurrentPrincipal() principal: Principal): Promise<ShareView> {
    return this.shares.revoke(id, dto.reason, principal);
  }

  @Post(':id/withdraw')
  @Policy('shares:request')
  @HttpCode(200)
  @ApiOperation({ summary: 'Withdraw a request or a grant (at the consumer); the provider is told' })
  @ApiOkResponse({ type: ShareViewDto })
  @ApiRefusals('not-found', 'refused')
  withdraw(@Param('id', uuid) id: string, @Body() dto: ShareReasonDto, @CurrentPrincipal() principal: Principal): Promise<ShareView> {
    return this.shares.withdraw(id, dto.reason, principal);
  }

  @Post(':id/query')
  @Policy('shares:query')
  @RecordedByFeature()
  @HttpCode(200)
  @ApiOperation({ summary: "Rows through a grant, from the provider's node; the grant is checked there on every call" })
  @ApiOkResponse({ type: ShareRowsViewDto })
  @ApiRefusals('not-found', 'forbidden', 'refused', 'unavailable')
  query(@Param('id', uuid) id: string, @Body() dto: QueryShareDto, @CurrentPrincipal() principal: Principal): Promise<ShareRowsView> {
    return this.shares.query(id, dto, principal);
  }

  @Post(':id/deliveries')
  @Policy('shares:query')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Copy every row of the grant into this node (at the consumer): full the first time, then only what changed; resumable and verified chunk by chunk',
  })
  @ApiOkResponse({ type: ShareDeliveryViewDto, description: 'The delivery started (or the one already running); it runs in the background.' })
  @ApiRefusals('not-found', 'refused')
  deliver(@Param('id', uuid) id: string, @CurrentPrincipal() principal: Principal): Promise<ShareDeliveryView> {
    return this.deliveries.start(id, principal);
  }

  @Get(':id/deliveries')
  @Policy('shares:query')
  @ApiOperation({ summary: 'Deliveries of a grant at this node, newest first' })
  @ApiOkResponse({ type: [ShareDeliveryViewDto] })
  @ApiRefusals('not-found')
  listDeliveries(@Param('id', uuid) id: string, @Query() query: ListDeliveriesQuery, @CurrentPrincipal() principal: Principal): Promise<ShareDeliveryView[]> {
    return this.deliveries.list(id, principal, query.limit);
  }

  @Get(':id/deliveries/:deliveryId')
  @Policy('shares:query')
  @ApiOperation({ summary: 'One delivery: its state, cursor and counts (the rule when refused)' })
  @ApiOkResponse({ type: ShareDeliveryViewDto })
  @ApiRefusals('not-found')
  getDelivery(
    @Param('id', uuid) id: string,
    @Param('deliveryId', deliveryUuid) deliveryId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ShareDeliveryView> {
    return this.deliveries.get(id, deliveryId, principal);
  }

  @Get(':id/rows')
  @Policy('shares:query')
  @RecordedByFeature()
  @ApiOperation({ summary: 'The rows delivered here, in row key order, while the grant is in force (masked as the provider served them)' })
  @ApiOkResponse({ type: DeliveredRowsPageDto })
  @ApiRefusals('not-found', 'forbidden')
  rows(@Param('id', uuid) id: string, @Query() query: ListDeliveredRowsQuery, @CurrentPrincipal() principal: Principal): Promise<Page<SharedRow>> {
    return this.deliveries.rows(id, principal, query);
  }
}
