import { expect } from 'chai';
import type { DomainEvent } from '../../src/domain/domain-event.js';
import { EVENT_MAX_BYTES } from '../../src/domain/domain-event.js';
import { OrderDuplicateError, ValidationError } from '../../src/domain/errors.js';
import { Order } from '../../src/domain/order.js';
import type { OrderRepository } from '../../src/application/ports/order-repository.js';
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

  it('lets exactly one of 50 concurrent adds of one orderId win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => subject.orders.add(anOrderNamed('race-1'), [anEvent('race-1')], metadataOf('race-1'))));
    const won = results.filter((r) => r.status === 'fulfilled');
    const duplicates = results.filter((r) => r.status === 'rejected' && r.reason instanceof OrderDuplicateError);
    expect(won).to.have.length(1);
    expect(duplicates).to.have.length(49);
    expect((await subject.outbox.backlog()).count).to.equal(1);
  });
}
