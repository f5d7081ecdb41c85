import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { statusUpdate } from '../../src/application/send-status-update-on-order-status-changed.js';
import { webhookEventSchema } from '../../src/application/templates/webhook-event-schema.js';
import { webhookBody, webhookMessageId } from '../../src/application/templates/webhook-payload.js';
import { Order } from '../../src/domain/order.js';
import type { OrderCreatedEvent } from '../../src/domain/order-created.js';
import type { OrderStatusChangedEvent } from '../../src/domain/order-status-changed.js';

function anOrder(email?: string, locale?: string): Order {
  return Order.create({ orderId: 'A-1', itemIds: ['sku-1', 'sku-2'], ...(email ? { email } : {}), ...(locale ? { locale } : {}) }, randomUUID(), new Date('2026-11-24T12:00:00Z'));
}

const validate = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  return ajv.compile(webhookEventSchema);
})();

describe('The body of a webhook delivery', () => {
  it('is what schemas/webhook-event.v1.json says, and that file is exactly what the code generates (run `npm run schemas` after a change)', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../schemas/webhook-event.v1.json', import.meta.url), 'utf8'));
    expect(committed).to.deep.equal(JSON.parse(JSON.stringify(webhookEventSchema)));
  });

  it('describes a new order: type order.created, its items, the customer address and language, the time it was created', () => {
    const order = anOrder('ada@example.com', 'de-DE');
    const event = order.pullEvents()[0] as OrderCreatedEvent;
    const body = webhookBody({ ...orderConfirmation(event), channel: 'webhook', endpointId: 'ep_000000000000000000000001' });
    expect(body).to.deep.equal({
      type: 'order.created',
      timestamp: '2026-11-24T12:00:00.000Z',
      data: { orderId: 'A-1', internalId: order.internalId, status: 'created', occurredAt: '2026-11-24T12:00:00.000Z', email: 'ada@example.com', locale: 'de-DE', itemIds: ['sku-1', 'sku-2'] },
    });
    expect(validate(JSON.parse(JSON.stringify(body))), JSON.stringify(validate.errors)).to.equal(true);
  });

  it('describes each status change with the status before it, and only the optional fields the change had', () => {
    const order = anOrder();
    order.changeStatus({ status: 'shipped', note: 'On its way', trackingUrl: 'https://track.example.com/p?id=1', carrier: 'DHL' }, randomUUID(), new Date('2026-11-25T08:00:00Z'));
    order.changeStatus({ status: 'delivered' }, randomUUID(), new Date('2026-11-26T08:00:00Z'));
    const [, shipped, delivered] = order.pullEvents() as OrderStatusChangedEvent[];
    const shippedBody = webhookBody(statusUpdate(shipped as OrderStatusChangedEvent));
    const deliveredBody = webhookBody(statusUpdate(delivered as OrderStatusChangedEvent));
    expect(shippedBody).to.deep.equal({
      type: 'order.shipped',
      timestamp: '2026-11-25T08:00:00.000Z',
      data: { orderId: 'A-1', internalId: order.internalId, status: 'shipped', occurredAt: '2026-11-25T08:00:00.000Z', previousStatus: 'created', note: 'On its way', trackingUrl: 'https://track.example.com/p?id=1', carrier: 'DHL' },
    });
    expect(deliveredBody).to.deep.equal({
      type: 'order.delivered',
      timestamp: '2026-11-26T08:00:00.000Z',
      data: { orderId: 'A-1', internalId: order.internalId, status: 'delivered', occurredAt: '2026-11-26T08:00:00.000Z', previousStatus: 'shipped' },
    });
    for (const body of [shippedBody, deliveredBody]) expect(validate(JSON.parse(JSON.stringify(body))), JSON.stringify(validate.errors)).to.equal(true);
  });

  it('has one webhook-id per order and kind, the same on every attempt and for every endpoint', () => {
    const internalId = randomUUID();
    expect(webhookMessageId({ kind: 'order-shipped', internalId })).to.equal(`msg_order-shipped_${internalId}`);
    expect(webhookMessageId({ kind: 'order-shipped', internalId })).to.not.equal(webhookMessageId({ kind: 'order-delivered', internalId }));
  });

  it('refuses an event no webhook describes: a bug of the reaction, so the delivery is poison', () => {
    const order = anOrder();
    const event = order.pullEvents()[0] as OrderCreatedEvent;
    expect(() => webhookBody({ ...orderConfirmation(event), event: { type: 'order.refunded', version: 1, aggregateId: 'A-1', payload: {} } })).to.throw(/order\.status-changed version 1, not order\.refunded/);
  });
});
