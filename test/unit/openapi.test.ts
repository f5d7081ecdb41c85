import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { parse } from 'yaml';
import { openApiDocument } from '../../src/adapters/http/openapi.js';
import { changeOrderStatusSchema, createOrderSchema, parseChangeOrderStatus, parseCreateOrder } from '../../src/adapters/http/order-schemas.js';
import { registerWebhookSchema } from '../../src/adapters/http/webhook-schemas.js';
import { Order } from '../../src/domain/order.js';
import { checkStatusChange } from '../../src/domain/order-status.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const committed = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('openapi.yaml', () => {
  it('is exactly what the server generates from its own schemas (run `npm run openapi` after changing them)', () => {
    expect(committed).to.deep.equal(openApiDocument(version));
  });

  it('describes the request bodies with the very schemas the server checks the shape against', () => {
    const { $id: _id, ...served } = createOrderSchema;
    const components = committed.components as { schemas: Record<string, unknown> };
    expect(components.schemas.CreateOrderRequest).to.deep.equal(JSON.parse(JSON.stringify(served)));
    const { $id: _statusId, ...statusChange } = changeOrderStatusSchema;
    expect(components.schemas.ChangeOrderStatusRequest).to.deep.equal(JSON.parse(JSON.stringify(statusChange)));
    const { $id: _webhookId, ...registration } = registerWebhookSchema;
    expect(components.schemas.RegisterWebhookRequest).to.deep.equal(JSON.parse(JSON.stringify(registration)));
  });

  describe('documents exactly the rules the domain enforces, so a client can check a body before sending it', () => {
    // What the old validator did: the texts the contract trims, trimmed, then the whole documented schema, rules included.
    const documented = new Ajv({ allErrors: true, strict: true });
    addFormats(documented, ['email']);
    const documentedCreate = documented.compile(createOrderSchema);
    const documentedChange = documented.compile(changeOrderStatusSchema);
    const trimmed = (body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> =>
      Object.fromEntries(Object.entries(body).map(([field, value]) => [field, fields.includes(field) && typeof value === 'string' ? value.trim() : value]));

    const char = fc.constantFrom('a', 'Z', '7', ' ', '\t', '\u0000', '\u007f', '\u0085', '\u00a0', '\ud800', '\u{1f600}', 'é', '@', '.', '-', '/', ':', '"', '+');
    const text = (max: number) =>
      fc.oneof(
        fc.string({ unit: char, maxLength: 8 }),
        fc.tuple(fc.string({ unit: char, maxLength: 2 }), fc.constantFrom('x', '\u{1f600}'), fc.integer({ min: max - 1, max: max + 1 })).map(([edge, c, n]) => `${edge}${c.repeat(n)}`.slice(0, max + 3)),
      );
    const email = fc.oneof(text(12), fc.tuple(text(6), fc.constantFrom('@example.com', '@x', '@a-.io', '@b.c')).map(([local, host]) => local + host), fc.constant(`${'a'.repeat(243)}@example.com`));
    const url = fc.oneof(text(12), fc.constantFrom('https://t.example.com/1', 'http://t.example.com/1', 'https://a@b.example/', `https://t.example.com/${'x'.repeat(2026)}`, `https://t.example.com/${'x'.repeat(2027)}`));

    it('for POST /orders', () => {
      const body = fc.record({ orderId: text(128), itemId: fc.oneof(fc.array(text(128), { maxLength: 3 }), fc.constant(Array.from({ length: 101 }, () => 's'))), email: fc.option(email, { nil: undefined }) });
      fc.assert(
        fc.property(body, (order) => {
          const sent = JSON.parse(JSON.stringify(order)) as Record<string, unknown>;
          const parsed = parseCreateOrder(sent);
          const accepted = parsed.ok && Order.check({ orderId: parsed.value.orderId, itemIds: parsed.value.itemId, ...(parsed.value.email === undefined ? {} : { email: parsed.value.email }) }).length === 0;
          expect(accepted, JSON.stringify(sent)).to.equal(documentedCreate(trimmed(sent, ['orderId', 'email'])));
        }),
        { numRuns: 2000 },
      );
    });

    it('for POST /orders/{orderId}/status', () => {
      const status = fc.constantFrom('shipped', 'delivered', 'cancelled', 'created', 'lost');
      const body = fc.record({ status, note: fc.option(text(500), { nil: undefined }), trackingUrl: fc.option(url, { nil: undefined }), carrier: fc.option(text(100), { nil: undefined }) });
      fc.assert(
        fc.property(body, (change) => {
          const sent = JSON.parse(JSON.stringify(change)) as Record<string, unknown>;
          const parsed = parseChangeOrderStatus(sent);
          const accepted = parsed.ok && checkStatusChange(parsed.value).length === 0;
          expect(accepted, JSON.stringify(sent)).to.equal(documentedChange(trimmed(sent, ['note', 'trackingUrl', 'carrier'])));
        }),
        { numRuns: 2000 },
      );
    });
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(committed);
    expect(result.errors ?? [], JSON.stringify(result.errors)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
  });
});
