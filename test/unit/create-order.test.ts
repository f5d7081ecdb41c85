import { expect } from 'chai';
import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { CreateOrder } from '../../src/application/create-order.js';
import type { Metrics } from '../../src/application/ports/metrics.js';
import { NO_METRICS } from '../../src/application/ports/metrics.js';
import { OrderDuplicateError, ValidationError } from '../../src/domain/errors.js';
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
    createOrder = new CreateOrder(new InMemoryOrderRepository(store), ids, fixedClock(), 'orders-topic', metrics);
  });

  it('stores the order and one order-created event keyed by orderId, and counts it', async () => {
    const order = await createOrder.execute({ orderId: 'A-1', itemIds: ['x'], correlationId: 'c-1' });
    expect(order.internalId).to.equal(ids.next());
    expect(store.orders.get('A-1')).to.equal(order);
    expect(store.outbox).to.have.length(1);
    expect(store.outbox[0]).to.deep.include({ topic: 'orders-topic', key: 'A-1', headers: { 'schema-version': '1', 'correlation-id': 'c-1', 'content-type': 'application/json' } });
    expect(created).to.equal(1);
  });

  it('throws OrderDuplicateError carrying the existing order, and adds no event', async () => {
    const first = await createOrder.execute({ orderId: 'A-1', itemIds: ['x'], correlationId: 'c-1' });
    const error = await createOrder.execute({ orderId: 'A-1', itemIds: ['y'], correlationId: 'c-2' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OrderDuplicateError);
    expect((error as OrderDuplicateError).existing).to.equal(first);
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
