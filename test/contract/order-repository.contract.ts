import { expect } from 'chai';
import type { DomainEvent } from '../../src/domain/domain-event.js';
import { EVENT_MAX_BYTES } from '../../src/domain/domain-event.js';
import { OrderDuplicateError, ValidationError } from '../../src/domain/errors.js';
import { Order } from '../../src/domain/order.js';
import type { OrderRepository } from '../../src/application/ports/order-repository.js';
import { ConcurrentChangeError } from '../../src/application/errors.js';
import type { StatusChangeRequest } from '../../src/domain/order-status.js';
import type { EventMetadata, Outbox } from '../../src/application/ports/outbox.js';
import { randomUUID } from 'node:crypto';

export interface StorageSubject {
  readonly orders: OrderRepository;
  readonly outbox: Outbox;
  close(): Promise<void>;
}

export function anEvent(orderId: string): DomainEvent {
  return { type: 'order.created', version: 1, aggregateId: orderId, payload: { orderId } };
}

export function metadataOf(orderId: string): EventMetadata {
  return { correlationId: `c-${orderId}` };
}

export function anOrderNamed(orderId: string, email?: string): Order {
  return Order.create({ orderId, itemIds: ['sku-1', 'sku-2'], ...(email ? { email } : {}) }, randomUUID(), new Date('2026-11-24T10:00:00.123Z'));
}

/** What every OrderRepository must do, whatever it stores into. */
export function orderRepositoryContract(makeSubject: () => Promise<StorageSubject>): void {
  let subject: StorageSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(async () => {
    await subject.close();
  });

  it('finds a stored order by its orderId with every field intact', async () => {
    const order = anOrderNamed(`o-${randomUUID()}`, 'ada@example.com');
    await subject.orders.add(order, [anEvent(order.orderId)], metadataOf(order.orderId));
    const found = await subject.orders.findByOrderId(order.orderId);
    expect(found?.internalId).to.equal(order.internalId);
    expect(found?.itemIds).to.deep.equal(['sku-1', 'sku-2']);
    expect(found?.email).to.equal('ada@example.com');
    expect(found?.createdAt.toISOString()).to.equal('2026-11-24T10:00:00.123Z');
  });

  it('keeps an order without email without one', async () => {
    const order = anOrderNamed(`o-${randomUUID()}`);
    await subject.orders.add(order, [], {});
    expect((await subject.orders.findByOrderId(order.orderId))?.email).to.equal(undefined);
  });

  it('keeps the customer\'s locale, canonical, and an order without one without one', async () => {
    const german = Order.create({ orderId: `o-${randomUUID()}`, itemIds: ['sku-1'], locale: 'de-de' }, randomUUID(), new Date('2026-11-24T10:00:00.123Z'));
    const plain = anOrderNamed(`o-${randomUUID()}`);
    await subject.orders.add(german, [], {});
    await subject.orders.add(plain, [], {});
    expect((await subject.orders.findByOrderId(german.orderId))?.locale).to.equal('de-DE');
    expect((await subject.orders.findByOrderId(plain.orderId))?.locale).to.equal(undefined);
  });

  it('answers null for an unknown orderId', async () => {
    expect(await subject.orders.findByOrderId('never-stored')).to.equal(null);
  });

  it('stores the order and its events together', async () => {
    const before = await subject.outbox.backlog();
    const order = anOrderNamed(`o-${randomUUID()}`);
    await subject.orders.add(order, [anEvent(order.orderId)], metadataOf(order.orderId));
    expect((await subject.outbox.backlog()).count).to.equal(before.count + 1);
  });

  it('rejects a second order with the same orderId and keeps the first with its one event', async () => {
    const first = anOrderNamed('dup-1');
    await subject.orders.add(first, [anEvent('dup-1')], metadataOf('dup-1'));
    const error = await subject.orders.add(anOrderNamed('dup-1'), [anEvent('dup-1')], metadataOf('dup-1')).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OrderDuplicateError);
    expect((await subject.orders.findByOrderId('dup-1'))?.internalId).to.equal(first.internalId);
    expect((await subject.outbox.backlog()).count).to.equal(1);
  });

  it('refuses an event larger than EVENT_MAX_BYTES with a ValidationError, and stores neither the order nor the event', async () => {
    const order = anOrderNamed(`o-${randomUUID()}`);
    const huge = { ...anEvent(order.orderId), payload: { blob: 'x'.repeat(EVENT_MAX_BYTES) } };
    const before = await subject.outbox.backlog();
    const error = await subject.orders.add(order, [huge], metadataOf(order.orderId)).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ValidationError);
    expect(await subject.orders.findByOrderId(order.orderId)).to.equal(null);
    expect((await subject.outbox.backlog()).count).to.equal(before.count);
  });

  it('stores each of many orders added at once with every field, and refuses only the one whose orderId is taken', async () => {
    await subject.orders.add(anOrderNamed('taken-1'), [anEvent('taken-1')], metadataOf('taken-1'));
    const orders = Array.from({ length: 60 }, (_, i) => anOrderNamed(`many-${i}`, `c${i}@example.com`));
    const results = await Promise.allSettled([
      ...orders.slice(0, 30).map((order) => subject.orders.add(order, [anEvent(order.orderId)], metadataOf(order.orderId))),
      subject.orders.add(anOrderNamed('taken-1'), [anEvent('taken-1')], metadataOf('taken-1')),
      ...orders.slice(30).map((order) => subject.orders.add(order, [anEvent(order.orderId)], metadataOf(order.orderId))),
    ]);
    const refused = results.splice(30, 1)[0];
    expect(refused?.status === 'rejected' && refused.reason instanceof OrderDuplicateError, 'the taken orderId').to.equal(true);
    expect(results.every((r) => r.status === 'fulfilled')).to.equal(true);
    for (const order of orders) {
      const found = await subject.orders.findByOrderId(order.orderId);
      expect(found, order.orderId).to.deep.include({ internalId: order.internalId, itemIds: ['sku-1', 'sku-2'], email: order.email });
    }
    expect((await subject.outbox.backlog()).count).to.equal(61);
  });

  it('stores a burst of the largest orders at once (events of 64 KB each), each with its event intact', async () => {
    const orders = Array.from({ length: 80 }, (_, i) => anOrderNamed(`big-${i}-${randomUUID()}`));
    const eventOf = (order: Order): DomainEvent => ({ ...anEvent(order.orderId), payload: { orderId: order.orderId, blob: 'x'.repeat(EVENT_MAX_BYTES - 200) } });
    const before = (await subject.outbox.backlog()).count;
    await Promise.all(orders.map((order) => subject.orders.add(order, [eventOf(order)], metadataOf(order.orderId))));
    for (const order of orders) expect(await subject.orders.findByOrderId(order.orderId), order.orderId).to.deep.include({ internalId: order.internalId });
    expect((await subject.outbox.backlog()).count).to.equal(before + orders.length);
  });

  it('lets exactly one of 50 concurrent adds of one orderId win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => subject.orders.add(anOrderNamed('race-1'), [anEvent('race-1')], metadataOf('race-1'))));
    const won = results.filter((r) => r.status === 'fulfilled');
    const duplicates = results.filter((r) => r.status === 'rejected' && r.reason instanceof OrderDuplicateError);
    expect(won).to.have.length(1);
    expect(duplicates).to.have.length(49);
    expect((await subject.outbox.backlog()).count).to.equal(1);
  });

  /** Stores a new order, then reads it back as a caller would before changing it. */
  async function storedOrder(orderId = `o-${randomUUID()}`): Promise<Order> {
    await subject.orders.add(anOrderNamed(orderId, 'ada@example.com'), [], {});
    const order = await subject.orders.findByOrderId(orderId);
    if (!order) throw new Error('not stored');
    return order;
  }

  async function change(order: Order, request: StatusChangeRequest, at = new Date('2026-11-25T08:00:00.000Z')): Promise<void> {
    const outcome = order.changeStatus(request, randomUUID(), at);
    if (!outcome.changed) throw new Error('no change');
    await subject.orders.saveStatusChange(order, outcome.change, order.pullEvents(), metadataOf(order.orderId));
  }

  it('finds a new order created, at version 1, with no status history', async () => {
    const order = await storedOrder();
    expect([order.status, order.version]).to.deep.equal(['created', 1]);
    expect(await subject.orders.statusHistory(order.orderId)).to.deep.equal([]);
  });

  it('stores a status change with its history entry and its event in the outbox, together', async () => {
    const order = await storedOrder();
    const before = await subject.outbox.backlog();
    const outcome = order.changeStatus({ status: 'shipped', note: 'On its way', trackingUrl: 'https://track.example.com/1', carrier: 'DHL' }, randomUUID(), new Date('2026-11-25T08:00:00.123Z'));
    if (!outcome.changed) throw new Error('no change');
    const events = order.pullEvents();
    await subject.orders.saveStatusChange(order, outcome.change, events, metadataOf(order.orderId));
    const found = await subject.orders.findByOrderId(order.orderId);
    expect([found?.status, found?.version]).to.deep.equal(['shipped', 2]);
    expect(await subject.orders.statusHistory(order.orderId)).to.deep.equal([outcome.change]);
    expect((await subject.outbox.backlog()).count).to.equal(before.count + 1);
    const relayed: unknown[] = [];
    await subject.outbox.relay(100, async (pending) => (relayed.push(...pending.map(({ event, metadata }) => ({ event, metadata }))), []));
    expect(relayed).to.deep.include({ event: events[0], metadata: metadataOf(order.orderId) });
  });

  it('refuses a change decided on a stale version with ConcurrentChangeError, and stores none of it', async () => {
    const order = await storedOrder();
    const stale = await subject.orders.findByOrderId(order.orderId);
    if (!stale) throw new Error('not stored');
    await change(order, { status: 'shipped' });
    const before = await subject.outbox.backlog();
    const outcome = stale.changeStatus({ status: 'cancelled' }, randomUUID(), new Date());
    if (!outcome.changed) throw new Error('no change');
    const error = await subject.orders.saveStatusChange(stale, outcome.change, stale.pullEvents(), {}).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConcurrentChangeError);
    const found = await subject.orders.findByOrderId(order.orderId);
    expect([found?.status, found?.version]).to.deep.equal(['shipped', 2]);
    expect((await subject.orders.statusHistory(order.orderId)).map((c) => c.status)).to.deep.equal(['shipped']);
    expect((await subject.outbox.backlog()).count).to.equal(before.count);
  });

  it('keeps the status history in order, with every field', async () => {
    const order = await storedOrder();
    await change(order, { status: 'shipped', carrier: 'DHL' }, new Date('2026-11-25T08:00:00.000Z'));
    await change(order, { status: 'delivered', note: 'Left at the door' }, new Date('2026-11-26T08:00:00.000Z'));
    const history = await subject.orders.statusHistory(order.orderId);
    expect(history.map(({ id: _id, ...entry }) => entry)).to.deep.equal([
      { status: 'shipped', previousStatus: 'created', sequence: 2, changedAt: new Date('2026-11-25T08:00:00.000Z'), carrier: 'DHL' },
      { status: 'delivered', previousStatus: 'shipped', sequence: 3, changedAt: new Date('2026-11-26T08:00:00.000Z'), note: 'Left at the door' },
    ]);
    expect(await subject.orders.statusHistory('never-stored')).to.deep.equal([]);
  });

  it('lets exactly one of 20 concurrent changes decided on the same version win', async () => {
    const order = await storedOrder();
    const copies = await Promise.all(Array.from({ length: 20 }, () => subject.orders.findByOrderId(order.orderId)));
    const before = await subject.outbox.backlog();
    const results = await Promise.allSettled(
      copies.map((copy, n) => {
        if (!copy) throw new Error('not stored');
        const outcome = copy.changeStatus({ status: n % 2 === 0 ? 'shipped' : 'cancelled' }, randomUUID(), new Date());
        if (!outcome.changed) throw new Error('no change');
        return subject.orders.saveStatusChange(copy, outcome.change, copy.pullEvents(), {});
      }),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrentChangeError)).to.have.length(19);
    expect(await subject.orders.statusHistory(order.orderId)).to.have.length(1);
    expect((await subject.outbox.backlog()).count).to.equal(before.count + 1);
  });
}
