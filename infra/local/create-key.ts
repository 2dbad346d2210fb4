/**
 * Creates an API key directly in a stage's table: the way to get the first admin key after a deploy
 * (every later key can be made through POST /v1/api-keys).
 *
 *   npx tsx infra/local/create-key.ts --table cohort-dev --name "ops admin" --scopes admin [--region eu-west-1]
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    name: { type: 'string', default: 'admin' },
    scopes: { type: 'string', default: 'admin' },
    region: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || !values.table) {
  process.stdout.write(
    'Usage: npx tsx infra/local/create-key.ts --table cohort-<stage> [--name NAME] [--scopes admin|read,write,ingest] [--region R]\n' +
      'Uses your AWS credentials; prints the key once.\n',
  );
  process.exit(values.help ? 0 : 2);
}

const scopes = values.scopes.split(',').map((s) => s.trim());
const allowed = ['ingest', 'read', 'write', 'admin'];
const unknown = scopes.filter((s) => !allowed.includes(s));
if (unknown.length > 0) {
  process.stderr.write(`Unknown scope(s): ${unknown.join(', ')}; use ${allowed.join(', ')}\n`);
  process.exit(2);
}

process.env.TABLE_NAME = values.table;
if (values.region) process.env.AWS_REGION = values.region;
const { createApiKey } = await import('../../shared/apikeys/service.ts');
const { key, apiKey } = await createApiKey({
  name: values.name,
  scopes: scopes as ('ingest' | 'read' | 'write' | 'admin')[],
});
process.stdout.write(`Created key ${apiKey.id} (${apiKey.scopes.join(' ')}):\n${key}\n`);
