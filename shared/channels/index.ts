import { pushAdapter, smsAdapter } from './pinpoint.ts';
import { sesAdapter } from './ses.ts';
import type { ChannelAdapters, ChannelName, MessageOf, SendResult } from './types.ts';
import { webhookAdapter } from './webhook.ts';

export type * from './types.ts';

let adapters: ChannelAdapters | undefined;

/** The stage's adapters (SES, End User Messaging SMS and push, webhook), created once per process. */
export function channelAdapters(): ChannelAdapters {
  adapters ??= { email: sesAdapter(), sms: smsAdapter(), push: pushAdapter(), webhook: webhookAdapter() };
  return adapters;
}

/** One message through its channel's adapter. */
export function sendMessage<C extends ChannelName>(message: MessageOf<C>): Promise<SendResult> {
  const adapter = channelAdapters()[message.channel as C];
  return adapter.send(message);
}
