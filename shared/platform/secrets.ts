import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from './config.ts';

/**
 * The secret that signs customer links. The local stack passes it as LINK_SECRET; in AWS the CDK stack
 * keeps it in Secrets Manager and gives only the functions that declare `linkSecret` its ARN and read
 * access. Read once per process: links are verified on every page view.
 */
let cached: Promise<Buffer> | undefined;

export function linkSecret(): Promise<Buffer> {
  cached ??= load().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function load(): Promise<Buffer> {
  const c = config();
  if (c.LINK_SECRET) return Buffer.from(c.LINK_SECRET, 'utf8');
  if (!c.LINK_SECRET_ARN) {
    throw new Error(
      'Invalid configuration: neither LINK_SECRET nor LINK_SECRET_ARN is set (declare linkSecret in the manifest)',
    );
  }
  const client = new SecretsManagerClient(c.AWS_REGION ? { region: c.AWS_REGION } : {});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: c.LINK_SECRET_ARN }));
    if (!SecretString || SecretString.length < 32) throw new Error('The link secret is empty or too short');
    return Buffer.from(SecretString, 'utf8');
  } finally {
    client.destroy();
  }
}
