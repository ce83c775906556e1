import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FederationDigestView, FederationStatusView, ParkedMessageListView, ParkedRereadView } from '@tdx/contracts';
import { FederationStatusService } from './federation-status.service';
import { Policy } from '../access/policy.decorator';
import { FederationDigestViewDto, FederationStatusViewDto, ParkedMessageListViewDto, ParkedRereadViewDto } from './dto/federation.view';
import { ParkedMessagesService } from './parked-messages.service';

/** Parked records listed at most (the newest): the count in `protocol` says how many there are in all. */
const PARKED_LISTED = 200;

@ApiTags('federation')
@Controller('api/v1/federation')
export class FederationController {
  constructor(
    private readonly federation: FederationStatusService,
    private readonly parked: ParkedMessagesService,
  ) {}

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

  /** Records this node cannot read yet (a newer protocol version, an unknown kind): kept, neither applied nor lost. */
  @Get('parked')
  @Policy('federation:read')
  @ApiOperation({ summary: 'Protocol versions and the records parked until this node is upgraded (the newest first)' })
  @ApiOkResponse({ type: ParkedMessageListViewDto })
  parkedList(): Promise<ParkedMessageListView> {
    return this.parked.list(PARKED_LISTED);
  }

  /** The node reads them again by itself at start and with each trust list; this is for an operator who will not wait. */
  @Post('parked/reread')
  @Policy('federation:administer')
  @HttpCode(200)
  @ApiOperation({ summary: 'Read the parked records again now: those this node reads are applied (or refused) and leave the parking' })
  @ApiOkResponse({ type: ParkedRereadViewDto })
  reread(): Promise<ParkedRereadView> {
    return this.parked.reread();
  }
}
