import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { sdkClientConfig } from './config.ts';

/** The EventBridge client, created on first use; a module of its own for the reason given in aws.ts. */
let eventBridge: EventBridgeClient | undefined;

export function eventBridgeClient(): EventBridgeClient {
  eventBridge ??= new EventBridgeClient(sdkClientConfig('EVENTBRIDGE_ENDPOINT'));
  return eventBridge;
}
