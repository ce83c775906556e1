import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { uuidParam } from '../common/id-fields';
import { ReturnsService } from './returns.service';
import {
  ApproveDto,
  CreateReturnRequestDto,
  ListJobsQuery,
  ListRequestsQuery,
  ListReturnedRowsQuery,
  ListSubtreeQuery,
  RejectDto,
  RevokeDto,
  WithdrawDto,
} from './dto/returns.dto';
import { Policy } from '../access/policy.decorator';
import type { Page, ReturnedRowView, ReturnJobView, ReturnRequestState, ReturnRequestView } from '@tdx/contracts';
import { ApiRefusals } from '../common/api-docs';
import {
  ReturnedRowPageDto,
  ReturnJobPageDto,
  ReturnJobViewDto,
  ReturnRequestPageDto,
  ReturnRequestStatePageDto,
  ReturnRequestViewDto,
} from './dto/returns.view';

const uuid = uuidParam('id');

/** Return of data downward (Article 9): requests at both ends, decisions at the holder, jobs and rows at the receiver. */
@ApiTags('returns')
@ApiRefusals('invalid')
@Controller('api/v1/returns')
export class ReturnsController {
  constructor(private readonly returns: ReturnsService) {}

  @Post('requests')
  @Policy('returns:request')
  @ApiOperation({ summary: 'Ask an ancestor for the rows of one of its data entries (Article 9)' })
  @ApiCreatedResponse({ type: ReturnRequestViewDto, description: 'Recorded at both ends; granted at once when the entry shares unconditionally.' })
  @ApiRefusals('refused', 'unavailable')
  request(@Body() dto: CreateReturnRequestDto): Promise<ReturnRequestView> {
    return this.returns.request(dto);
  }

  @Get('requests')
  @Policy('returns:read')
  @ApiOperation({ summary: 'List return requests, made here (outgoing) or to this node (incoming)' })
  @ApiOkResponse({ type: ReturnRequestPageDto })
  list(@Query() query: ListRequestsQuery): Promise<Page<ReturnRequestView>> {
    return this.returns.list(query);
  }

  @Get('requests/:id')
  @Policy('returns:read')
  @ApiOperation({ summary: 'Show a return request with its history' })
  @ApiOkResponse({ type: ReturnRequestViewDto })
  @ApiRefusals('not-found')
  get(@Param('id', uuid) id: string): Promise<ReturnRequestView> {
    return this.returns.get(id);
  }

  @Post('requests/:id/approve')
  @Policy('returns:decide')
  @HttpCode(200)
  @ApiOperation({ summary: 'Grant a request made to this node' })
  @ApiOkResponse({ type: ReturnRequestViewDto })
  @ApiRefusals('not-found', 'refused')
  approve(@Param('id', uuid) id: string, @Body() dto: ApproveDto): Promise<ReturnRequestView> {
    return this.returns.approve(id, dto.note);
  }

  @Post('requests/:id/reject')
  @Policy('returns:decide')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a request made to this node, with a reason' })
  @ApiOkResponse({ type: ReturnRequestViewDto })
  @ApiRefusals('not-found', 'refused')
  reject(@Param('id', uuid) id: string, @Body() dto: RejectDto): Promise<ReturnRequestView> {
    return this.returns.reject(id, dto.reason);
  }

  @Post('requests/:id/withdraw')
  @Policy('returns:request')
  @HttpCode(200)
  @ApiOperation({ summary: 'Withdraw a pending or granted return request (at the requester); the holder is told, the rows held are kept' })
  @ApiOkResponse({ type: ReturnRequestViewDto })
  @ApiRefusals('not-found', 'refused', 'unavailable')
  withdraw(@Param('id', uuid) id: string, @Body() dto: WithdrawDto): Promise<ReturnRequestView> {
    return this.returns.withdraw(id, dto.reason);
  }

  @Post('requests/:id/revoke')
  @Policy('returns:decide')
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke a grant with a reason (at the holder); the receiver's next pull is refused and it removes the rows" })
  @ApiOkResponse({ type: ReturnRequestViewDto })
  @ApiRefusals('not-found', 'refused')
  revoke(@Param('id', uuid) id: string, @Body() dto: RevokeDto): Promise<ReturnRequestView> {
    return this.returns.revoke(id, dto.reason);
  }

  @Get('subtree-requests')
  @Policy('returns:read')
  @ApiOperation({ summary: "At a city: its counties' return requests to the province, read-only, as the province holds them" })
  @ApiOkResponse({ type: ReturnRequestStatePageDto })
  @ApiRefusals('refused', 'unavailable')
  subtree(@Query() query: ListSubtreeQuery): Promise<Page<ReturnRequestState>> {
    return this.returns.subtree(query);
  }

  @Post('requests/:id/sync')
  @Policy('returns:request')
  @ApiOperation({ summary: 'Start a transfer job for a granted request' })
  @ApiCreatedResponse({ type: ReturnJobViewDto })
  @ApiRefusals('not-found', 'refused', 'unavailable')
  sync(@Param('id', uuid) id: string): Promise<ReturnJobView> {
    return this.returns.sync(id);
  }

  @Get('requests/:id/rows')
  @Policy('returns:read')
  @ApiOperation({ summary: 'List the rows a granted request brought here' })
  @ApiOkResponse({ type: ReturnedRowPageDto })
  @ApiRefusals('not-found', 'refused')
  rows(@Param('id', uuid) id: string, @Query() query: ListReturnedRowsQuery): Promise<Page<ReturnedRowView>> {
    return this.returns.rows(id, query);
  }

  @Get('jobs')
  @Policy('returns:read')
  @ApiOperation({ summary: 'List transfer jobs' })
  @ApiOkResponse({ type: ReturnJobPageDto })
  jobs(@Query() query: ListJobsQuery): Promise<Page<ReturnJobView>> {
    return this.returns.jobs(query);
  }

  @Get('jobs/:id')
  @Policy('returns:read')
  @ApiOperation({ summary: 'Show a transfer job and its progress' })
  @ApiOkResponse({ type: ReturnJobViewDto })
  @ApiRefusals('not-found')
  job(@Param('id', uuid) id: string): Promise<ReturnJobView> {
    return this.returns.job(id);
  }
}
