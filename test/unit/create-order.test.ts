import { expect } from 'chai';
import fc from 'fast-check';
import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { CreateOrder } from '../../src/application/create-order.js';
import type { Metrics } from '../../src/application/ports/metrics.js';
import { NO_METRICS } from '../../src/application/ports/metrics.js';
import { OrderDuplicateError, ValidationError } from '../../src/domain/errors.js';
import { ORDER_LIMITS } from '../../src/domain/order.js';
import { ORDER_CREATED_MAX_BYTES } from '../../src/domain/order-created.js';
import { loadConfig } from '../../src/bootstrap/config.js';
import { fixedClock } from '../support/builders.js';

describe('CreateOrder', () => {
  let store: InMemoryStore;
  let created: number;
  let createOrder: CreateOrder;
  const ids = { next: () => '4d7d5c1e-0000-4000-8000-000000000001' };

  beforeEach(() => {
    store = new InMemoryStore();
    created = 0;
    const metrics: Metrics = { ...NO_METRICS, orderCreated: () => void (created += 1) };
    createOrder = new CreateOrder(new InMemoryOrderRepository(store), ids, fixedClock(), metrics);
  });

  it('stores the order and the order.created event it recorded, keyed by orderId, with the correlation id, and counts it', async () => {
    const order = await createOrder.execute({ orderId: 'A-1', itemIds: ['x'], correlationId: 'c-1' });
    expect(order.internalId).to.equal(ids.next());
    expect(store.orders.get('A-1')?.snapshot()).to.deep.equal(order.snapshot());
    expect(store.outbox).to.have.length(1);
    expect(store.outbox[0]?.event).to.deep.include({ type: 'order.created', version: 1, aggregateId: 'A-1' });
    expect(store.outbox[0]?.metadata).to.deep.equal({ correlationId: 'c-1' });
    expect(order.pullEvents(), 'handed over once').to.deep.equal([]);
    expect(created).to.equal(1);
  });

  it('throws OrderDuplicateError carrying the existing order, and adds no event', async () => {
    const first = await createOrder.execute({ orderId: 'A-1', itemIds: ['x'], correlationId: 'c-1' });
    const error = await createOrder.execute({ orderId: 'A-1', itemIds: ['y'], correlationId: 'c-2' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OrderDuplicateError);
    expect((error as OrderDuplicateError).existing?.snapshot()).to.deep.equal(first.snapshot());
    expect(store.outbox).to.have.length(1);
    expect(created).to.equal(1);
  });

  it('throws ValidationError for invalid input and stores nothing', async () => {
    const error = await createOrder.execute({ orderId: '', itemIds: [], correlationId: 'c' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ValidationError);
    expect(store.orders.size).to.equal(0);
    expect(store.outbox).to.have.length(0);
  });
});

describe('The size of an order-created event', () => {
  const ids = { next: () => '4d7d5c1e-0000-4000-8000-000000000001' };
  // Characters that cost the most bytes in UTF-8 JSON: three-byte ones, escaped quotes and backslashes, U+2028.
  const costly = fc.constantFrom('\u4e00', '\uffee', '"', '\\', '\u2028', 'a', '\u{1f600}');
  const identifier = fc.array(costly, { minLength: 1, maxLength: 64 }).map((chars) => chars.join('').slice(0, ORDER_LIMITS.itemIdMaxLength));

  it('stays within ORDER_CREATED_MAX_BYTES for the largest and strangest orders the rules allow', async () => {
    // A character is a code point: an emoji, four bytes in UTF-8, is the costliest one; an address is ASCII.
    const largest = '\u{1f600}'.repeat(ORDER_LIMITS.itemIdMaxLength);
    const worst = { orderId: largest, itemIds: Array.from({ length: ORDER_LIMITS.maxItems }, () => largest), email: `${'a'.repeat(ORDER_LIMITS.emailMaxLength - 5)}@x.io`, correlationId: 'c' };
    const store = new InMemoryStore();
    await new CreateOrder(new InMemoryOrderRepository(store), ids, fixedClock()).execute(worst);
    const bytes = Buffer.byteLength(JSON.stringify(store.outbox[0]?.event.payload));
    expect(bytes).to.be.above(35_000).and.below(ORDER_CREATED_MAX_BYTES);
    await fc.assert(
      fc.asyncProperty(fc.array(identifier.map((s) => s.repeat(2).slice(0, ORDER_LIMITS.itemIdMaxLength)), { minLength: 1, maxLength: ORDER_LIMITS.maxItems }), async (itemIds) => {
        const each = new InMemoryStore();
        await new CreateOrder(new InMemoryOrderRepository(each), ids, fixedClock()).execute({ orderId: 'o-1', itemIds, correlationId: 'c' });
        expect(Buffer.byteLength(JSON.stringify(each.outbox[0]?.event.payload))).to.be.at.most(ORDER_CREATED_MAX_BYTES);
      }),
      { numRuns: 50 },
    );
  });

  it('is at least what the relay may put in one produce request, which config enforces', () => {
    expect(() => loadConfig({ KAFKA_MAX_REQUEST_BYTES: String(ORDER_CREATED_MAX_BYTES) })).to.throw(/KAFKA_MAX_REQUEST_BYTES/);
    expect(loadConfig({}).kafka.maxRequestBytes).to.be.above(ORDER_CREATED_MAX_BYTES);
  });
});
