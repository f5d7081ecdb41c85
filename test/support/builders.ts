import { randomUUID } from 'node:crypto';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { RandomIdGenerator } from '../../src/adapters/system/random-id-generator.js';
import { ChangeOrderStatus } from '../../src/application/change-order-status.js';
import { CreateOrder } from '../../src/application/create-order.js';
import { GetOrder } from '../../src/application/get-order.js';
import type { Clock } from '../../src/application/ports/clock.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { statusUpdate } from '../../src/application/send-status-update-on-order-status-changed.js';
import type { Notification, NotificationKey } from '../../src/domain/notification.js';
import { ORDER_CREATED, type OrderCreated } from '../../src/domain/order-created.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChanged } from '../../src/domain/order-status-changed.js';
import type { TargetStatus } from '../../src/domain/order-status.js';

/** A valid POST /orders body; override what the test is about. */
export function anOrderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { orderId: `A-${Math.random().toString(36).slice(2, 10)}`, itemId: ['sku-1', 'sku-2'], email: 'ada@example.com', ...overrides };
}

export const fixedClock = (iso = '2026-11-24T12:00:00.000Z'): Clock => ({ now: () => new Date(iso) });

/** The use cases on in-memory adapters, with the store to look into. */
export function inMemoryOrders() {
  const store = new InMemoryStore();
  const orders = new InMemoryOrderRepository(store);
  const ledger = new InMemoryNotificationLedger();
  return {
    store,
    ledger,
    createOrder: new CreateOrder(orders, new RandomIdGenerator(), fixedClock()),
    getOrder: new GetOrder(orders, ledger),
    changeOrderStatus: new ChangeOrderStatus(orders, new RandomIdGenerator(), fixedClock('2026-11-25T09:00:00.000Z')),
  };
}

/** The confirmation email of the order `payload` announces, as its reaction builds it. */
export const confirmationOf = (payload: OrderCreated): Notification => orderConfirmation({ ...ORDER_CREATED, aggregateId: payload.orderId, payload });

/** The key of an order's confirmation email in the ledger. */
export const confirmationKey = (orderId: string): NotificationKey => ({ orderId, kind: 'order-created', channel: 'email' });

/** The email telling the customer of `orderId` (whose uuid is `internalId`) that it moved to `status` (from created, or shipped for delivered). */
export function statusUpdateOf(orderId: string, status: TargetStatus, internalId: string = randomUUID(), changedAt = '2026-11-25T09:00:00.000Z'): Notification {
  const payload: OrderStatusChanged = {
    id: randomUUID(),
    orderId,
    internalId,
    status,
    previousStatus: status === 'delivered' ? 'shipped' : 'created',
    sequence: status === 'delivered' ? 3 : 2,
    changedAt,
    email: 'ada@example.com',
  };
  return statusUpdate({ ...ORDER_STATUS_CHANGED, aggregateId: orderId, payload });
}
