import { EVENT_MAX_BYTES, type DomainEvent, type EventKind } from './domain-event.js';
import type { Order } from './order.js';

/** An order was accepted: the event type and the version of its payload. */
export const ORDER_CREATED = { type: 'order.created', version: 1 } as const satisfies EventKind;

export const ORDER_CREATED_SCHEMA_VERSION = ORDER_CREATED.version;

/**
 * The largest `order-created` event, as UTF-8 JSON, that an order may make. The order rules keep every
 * valid order well below it (about 40 KB at most: 100 items of 128 three-byte characters); the broker's
 * limit (1 MiB by default) and the relay's request bound sit well above it, so an event the broker refuses
 * is a bug, never a customer's order.
 */
export const ORDER_CREATED_MAX_BYTES = EVENT_MAX_BYTES;

/** The payload of `order.created` version 1: what the notifier needs to email the customer. */
export interface OrderCreated {
  readonly id: string;
  readonly orderId: string;
  readonly itemId: readonly string[];
  readonly email?: string;
  /**
   * The customer's language, canonical BCP 47 (de-DE); absent = the shop's default. Added to version 1 as an
   * optional field: every reader of version 1 reads an event without it as before.
   */
  readonly locale?: string;
  readonly createdAt: string;
}

export interface OrderCreatedEvent extends DomainEvent<typeof ORDER_CREATED.type, OrderCreated> {
  readonly version: typeof ORDER_CREATED.version;
}

export function orderCreated(order: Order): OrderCreated {
  return {
    id: order.internalId,
    orderId: order.orderId,
    itemId: [...order.itemIds],
    ...(order.email === undefined ? {} : { email: order.email }),
    ...(order.locale === undefined ? {} : { locale: order.locale }),
    createdAt: order.createdAt.toISOString(),
  };
}

export function orderCreatedEvent(order: Order): OrderCreatedEvent {
  return { ...ORDER_CREATED, aggregateId: order.orderId, payload: orderCreated(order) };
}
