import type { ChannelAdapters } from './types.ts';

export type * from './types.ts';

/** The stage's adapters (SES, Pinpoint SMS and push, webhook), created once. Implementation follows. */
export function channelAdapters(): ChannelAdapters {
  throw new Error('channelAdapters: not implemented yet');
}
