import type { ChannelPingView } from '@tdx/contracts';
import { View } from '../../common/api-docs';

export class ChannelPingViewDto implements ChannelPingView {
  @View.text({ example: '330212' })
  node!: string;

  @View.number({ description: 'Milliseconds from sending the signed ping to taking its signed answer.' })
  roundTripMs!: number;
}
