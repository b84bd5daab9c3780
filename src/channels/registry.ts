import type { ChannelName } from '../domain/pay-way.ts';
import { alipayAdapter } from './alipay/adapter.ts';
import type { ChannelAdapter } from './types.ts';
import { unionpayAdapter } from './unionpay/adapter.ts';
import { wechatAdapter } from './wechat/adapter.ts';

/**
 * The one place that knows which channels exist. The core asks the registry for an adapter by
 * channel name; adding a channel means adding its folder and one line here.
 */
const ADAPTERS: ReadonlyMap<ChannelName, ChannelAdapter> = new Map<ChannelName, ChannelAdapter>([
  ['wechat', wechatAdapter],
  ['alipay', alipayAdapter],
  ['unionpay', unionpayAdapter],
]);

export function channelAdapter(channel: ChannelName): ChannelAdapter | undefined {
  return ADAPTERS.get(channel);
}

export function registeredChannels(): ChannelName[] {
  return [...ADAPTERS.keys()];
}
