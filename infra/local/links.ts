/**
 * Prints a customer's signed preference and unsubscribe links for the local stack, signed with the
 * secret `npm start` keeps in its data folder — what a message template would embed.
 *
 *   npx tsx infra/local/links.ts <customerId> [--channel email] [--topic promotions] [--api http://localhost:3000]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repositoryRoot } from './paths.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    channel: { type: 'string', default: 'email' },
    topic: { type: 'string', default: '*' },
    api: { type: 'string', default: 'http://localhost:3000' },
    'data-dir': { type: 'string', default: '.data/local' },
    help: { type: 'boolean', default: false },
  },
});

const customerId = positionals[0];
if (values.help || !customerId) {
  process.stdout.write(
    'Usage: npx tsx infra/local/links.ts <customerId> [--channel email|sms|push|webhook] [--topic T] [--api URL]\n',
  );
  process.exit(values.help ? 0 : 2);
}

process.env.LINK_SECRET = readFileSync(
  join(resolve(repositoryRoot, values['data-dir']), 'link-secret'),
  'utf8',
).trim();
process.env.PUBLIC_BASE_URL = values.api;
const { preferenceUrl, unsubscribeUrl } = await import('../../shared/consent/links.ts');
const channel = values.channel as 'email' | 'sms' | 'push' | 'webhook';
process.stdout.write(
  `preferences: ${await preferenceUrl(customerId)}\nunsubscribe: ${await unsubscribeUrl(customerId, channel, values.topic)}\n`,
);
