import { Entity } from 'electrodb';
import { describe, expect, it } from 'vitest';

/**
 * Deployed bundles replace jsonschema with a validator that accepts every model (infra/bundling.ts), so
 * ElectroDB's model validation must happen here: the tests load the real package, and every test that
 * imports shared/store/service.ts constructs all the entities through it.
 */
describe('entity models', () => {
  it('are validated by ElectroDB when constructed in tests: a malformed model throws', () => {
    // Prepare: an attribute of a type ElectroDB does not know.
    const malformed = {
      model: { service: 'cohort', entity: 'broken', version: '1' },
      attributes: { id: { type: 'nonsense' } },
      indexes: { byId: { pk: { field: 'pk', composite: ['id'] }, sk: { field: 'sk', composite: [] } } },
    };
    // Act / Assess
    expect(() => new Entity(malformed as never, { table: 'cohort-test' })).toThrow(/Invalid Model|type/i);
  });
});
