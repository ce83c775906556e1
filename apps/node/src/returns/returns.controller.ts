import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
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

const uuid = uuidParam('id');

/** Return of data downward (Article 9): requests at both ends, decisions at the holder, jobs and rows at the receiver. */
@ApiTags('returns')
@Controller('api/v1/returns')
export class ReturnsController {
  constructor(private readonly returns: ReturnsService) {}

  @Post('requests')
  @Policy('returns:request')
  request(@Body() dto: CreateReturnRequestDto): Promise<ReturnRequestView> {
    return this.returns.request(dto);
  }

  @Get('requests')
  @Policy('returns:read')
  list(@Query() query: ListRequestsQuery): Promise<Page<ReturnRequestView>> {
    return this.returns.list(query);
  }

  @Get('requests/:id')
  @Policy('returns:read')
  get(@Param('id', uuid) id: string): Promise<ReturnRequestView> {
    return this.returns.get(id);
  }

  @Post('requests/:id/approve')
  @Policy('returns:decide')
  @HttpCode(200)
  approve(@Param('id', uuid) id: string, @Body() dto: ApproveDto): Promise<ReturnRequestView> {
    return this.returns.approve(id, dto.note);
  }

  @Post('requests/:id/reject')
  @Policy('returns:decide')
  @HttpCode(200)
  reject(@Param('id', uuid) id: string, @Body() dto: RejectDto): Promise<ReturnRequestView> {
    return this.returns.reject(id, dto.reason);
  }

  @Post('requests/:id/withdraw')
  @Policy('returns:request')
  @HttpCode(200)
  @ApiOperation({ summary: 'Withdraw a pending or granted return request (at the requester); the holder is told, the rows held are kept' })
  withdraw(@Param('id', uuid) id: string, @Body() dto: WithdrawDto): Promise<ReturnRequestView> {
    return this.returns.withdraw(id, dto.reason);
  }

  @Post('requests/:id/revoke')
  @Policy('returns:decide')
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke a grant with a reason (at the holder); the receiver's next pull is refused and it removes the rows" })
  revoke(@Param('id', uuid) id: string, @Body() dto: RevokeDto): Promise<ReturnRequestView> {
    return this.returns.revoke(id, dto.reason);
  }

  @Get('subtree-requests')
  @Policy('returns:read')
  @ApiOperation({ summary: "At a city: its counties' return requests to the province, read-only, as the province holds them" })
  subtree(@Query() query: ListSubtreeQuery): Promise<Page<ReturnRequestState>> {
    return this.returns.subtree(query);
  }

  @Post('requests/:id/sync')
  @Policy('returns:request')
  sync(@Param('id', uuid) id: string): Promise<ReturnJobView> {
    return this.returns.sync(id);
  }

  @Get('requests/:id/rows')
  @Policy('returns:read')
  rows(@Param('id', uuid) id: string, @Query() query: ListReturnedRowsQuery): Promise<Page<ReturnedRowView>> {
    return this.returns.rows(id, query);
  }

  @Get('jobs')
  @Policy('returns:read')
  jobs(@Query() query: ListJobsQuery): Promise<Page<ReturnJobView>> {
    return this.returns.jobs(query);
  }

  @Get('jobs/:id')
  @Policy('returns:read')
  job(@Param('id', uuid) id: string): Promise<ReturnJobView> {
    return this.returns.job(id);
  }
}
