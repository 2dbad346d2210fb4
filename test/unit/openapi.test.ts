import { describe, expect, it } from 'vitest';
import { functions } from '../../functions/manifest.ts';
import { openApiDocument } from '../../shared/api/openapi.ts';

describe('OpenAPI document', () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, unknown> };
  };

  it('is OpenAPI 3.1 and documents exactly the manifest’s HTTP routes', () => {
    // Prepare
    const routes = Object.values(functions)
      .map((f) => f.trigger)
      .filter((t) => t.kind === 'http')
      .map((t) => `${t.method.toLowerCase()} ${t.path}`)
      .sort();
    // Act
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`))
      .sort();
    // Assess
    expect(doc.openapi).toBe('3.1.0');
    expect(documented).toEqual(routes);
  });

  it('resolves every $ref to a component', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(doc.components.schemas, `missing ${ref}`).toHaveProperty(ref as string);
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
  });

  it('documents the request body from the validating schema', () => {
    const upsert = doc.paths['/v1/customers']?.post as unknown as {
      requestBody: { content: Record<string, { schema: { $ref: string } }> };
    };
    const ref = upsert.requestBody.content['application/json']?.schema.$ref ?? '';
    const schema = doc.components.schemas[ref.split('/').pop() ?? ''] as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['email', 'phone', 'externalId', 'birthday']),
    );
  });
});

describe('docs/openapi.json', () => {
  it('is the document the schemas generate (run `npm run openapi` after changing a schema)', async () => {
    const { readFileSync } = await import('node:fs');
    const { OPENAPI_FILE, renderOpenApi } = await import('../../shared/api/write-openapi.ts');
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });
});
