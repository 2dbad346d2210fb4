import { SESv2Client } from '@aws-sdk/client-sesv2';
import { sdkClientConfig } from './config.ts';

/** The SES v2 client, created on first use; a module of its own for the reason given in aws.ts. */
let ses: SESv2Client | undefined;

export function sesClient(): SESv2Client {
  ses ??= new SESv2Client(sdkClientConfig('SES_ENDPOINT'));
  return ses;
}
