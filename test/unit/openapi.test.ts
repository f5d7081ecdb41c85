import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse } from 'yaml';
import { openApiDocument } from '../../src/adapters/http/openapi.js';
import { changeOrderStatusSchema, createOrderSchema } from '../../src/adapters/http/order-schemas.js';

const committed = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('openapi.yaml', () => {
  it('is exactly what the server generates from its own schemas (run `npm run openapi` after changing them)', () => {
    expect(committed).to.deep.equal(openApiDocument(version));
  });

  it('describes the request body with the very schema the server validates with', () => {
    const { $id: _id, ...served } = createOrderSchema;
    const components = committed.components as { schemas: Record<string, unknown> };
    expect(components.schemas.CreateOrderRequest).to.deep.equal(JSON.parse(JSON.stringify(served)));
    const { $id: _statusId, ...statusChange } = changeOrderStatusSchema;
    expect(components.schemas.ChangeOrderStatusRequest).to.deep.equal(JSON.parse(JSON.stringify(statusChange)));
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(committed);
    expect(result.errors ?? [], JSON.stringify(result.errors)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
  });
});
