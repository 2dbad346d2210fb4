import { PinpointClient } from '@aws-sdk/client-pinpoint';
import { sdkClientConfig } from './config.ts';

/** The End User Messaging (Pinpoint) client, created on first use; a module of its own for the reason given in aws.ts. */
let pinpoint: PinpointClient | undefined;

export function pinpointClient(): PinpointClient {
  pinpoint ??= new PinpointClient(sdkClientConfig('PINPOINT_ENDPOINT'));
  return pinpoint;
}
