import { Service } from 'electrodb';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { apiKeyEntity } from './entities/api-key.ts';
import { attributeDefinitionEntity } from './entities/attribute-definition.ts';
import { auditEntity } from './entities/audit.ts';
import { customerEntity } from './entities/customer.ts';
import { erasureEntity } from './entities/erasure.ts';
import { eventEntity } from './entities/event.ts';
import { idempotencyEntity } from './entities/idempotency.ts';
import { identityEntity } from './entities/identity.ts';

/**
 * The entities are constructed here, on the first store() call, not when their modules are imported:
 * constructing an entity validates its model against ElectroDB's JSON schema and parses it, and for the
 * eight of them that was the largest part of a function's module init after the SDK itself. A function
 * that uses the table pays it on its first invocation instead; one that does not never pays it.
 */
const entities = () => ({
  customer: customerEntity(),
  identity: identityEntity(),
  event: eventEntity(),
  audit: auditEntity(),
  apiKey: apiKeyEntity(),
  attributeDefinition: attributeDefinitionEntity(),
  erasure: erasureEntity(),
  idempotency: idempotencyEntity(),
});

let service: Service<ReturnType<typeof entities>> | undefined;

/** The entities bound to the table and client of this process, created on first use. */
export function store(): Service<ReturnType<typeof entities>> {
  service ??= new Service(entities(), { client: documentClient(), table: tableNameFromEnv() });
  return service;
}
