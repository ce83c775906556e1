import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ChannelPingView } from '@tdx/contracts';
import { performance } from 'node:perf_hooks';
import { Policy } from '../access/policy.decorator';
import { ApiRefusals } from '../common/api-docs';
import { divisionCodeParam } from '../common/id-fields';
import { Channel } from './channel';
import { ChannelPingViewDto } from './dto/channel-ping.view';

/** Operators' check of the channel: can this node reach that one, wherever it is in the tree, and how fast? */
@ApiTags('federation')
@Controller('api/v1/federation/channel')
export class ChannelController {
  constructor(private readonly channel: Channel) {}

  @Get(':node/ping')
  @Policy('federation:read')
  @ApiOperation({ summary: 'Ping any node of the federation through the channel (a signed round trip)' })
  @ApiOkResponse({ type: ChannelPingViewDto })
  @ApiRefusals('invalid', 'unauthenticated', 'forbidden', 'unavailable')
  async ping(@Param('node') node: string): Promise<ChannelPingView> {
    const code = divisionCodeParam(node, 'node');
    const started = performance.now();
    await this.channel.ask(code, 'channel.ping', {});
    return { node: code, roundTripMs: Math.round((performance.now() - started) * 100) / 100 };
  }
}
