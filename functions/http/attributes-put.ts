import { declareAttribute } from '../../shared/customers/attributes.ts';
import { attributeDefinitionSchema, attributeNameParams } from '../../shared/customers/schema.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'admin', params: attributeNameParams, body: attributeDefinitionSchema },
  async ({ params, body }) => {
    const { attribute, created } = await declareAttribute(params.name, body);
    return { status: created ? 201 : 200, body: attribute };
  },
);
