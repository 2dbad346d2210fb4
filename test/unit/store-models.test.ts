import { Entity } from 'electrodb';
import { describe, expect, it } from 'vitest';
import { buildAllEntities } from '../../shared/store/service.ts';

/**
 * Deployed bundles replace jsonschema with a validator that accepts every model (infra/bundling.ts), so
 * ElectroDB's model validation must happen here: the tests load the real package. The store builds an
 * entity when code first reaches it, so this test builds every one of them.
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

  it('are all valid: every entity of the store builds with the real validator', () => {
    // Act
    const entities = buildAllEntities({ table: 'cohort-test' });
    // Assess: one entity per name, each with the model it was declared with.
    expect(Object.keys(entities).length).toBeGreaterThanOrEqual(54);
    for (const [name, entity] of Object.entries(entities)) {
      expect(entity.schema.model.entity, name).toBe(name);
    }
  });
});
