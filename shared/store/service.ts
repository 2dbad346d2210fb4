import { Service } from 'electrodb';
import { documentClient } from '../platform/aws.ts';
import { tableNameFromEnv } from '../platform/config.ts';
import { ApiKey } from './entities/api-key.ts';
import { AttributeDefinition } from './entities/attribute-definition.ts';
import { AuditEntry } from './entities/audit.ts';
import { Consent } from './entities/consent.ts';
import { ConsentHistory } from './entities/consent-history.ts';
import { ContactPreferences } from './entities/contact-preferences.ts';
import { Customer } from './entities/customer.ts';
import { Erasure } from './entities/erasure.ts';
import { CustomerEvent } from './entities/event.ts';
import { IdempotencyRecord } from './entities/idempotency.ts';
import { Identity } from './entities/identity.ts';
import { Suppression } from './entities/suppression.ts';
import { Topic } from './entities/topic.ts';

const entities = {
  customer: Customer,
  identity: Identity,
  event: CustomerEvent,
  audit: AuditEntry,
  apiKey: ApiKey,
  attributeDefinition: AttributeDefinition,
  erasure: Erasure,
  idempotency: IdempotencyRecord,
  consent: Consent,
  consentHistory: ConsentHistory,
  contactPreferences: ContactPreferences,
  suppression: Suppression,
  topic: Topic,
};

let service: Service<typeof entities> | undefined;

/** The entities bound to the table and client of this process, created on first use. */
export function store(): Service<typeof entities> {
  if (!service) {
    service = new Service(entities, { client: documentClient(), table: tableNameFromEnv() });
  }
  return service;
}
