import type { Order } from './order.js';

export const ORDER_CREATED_SCHEMA_VERSION = 1;

/**
 * The largest `order-created` event, as UTF-8 JSON, that an order may make. The order rules keep every
 * valid order well below it (about 40 KB at most: 100 items of 128 three-byte characters); the broker's
 * limit (1 MiB by default) and the relay's request bound sit well above it, so an event the broker refuses
 * is a bug, never a customer's order.
 */
export const ORDER_CREATED_MAX_BYTES = 64 * 1024;

/** The `order-created` event, schema version 1: what the notifier needs to email the customer. */
export interface OrderCreated {
  readonly id: string;
  readonly orderId: string;
  readonly itemId: readonly string[];
  readonly email?: string;
  readonly createdAt: string;
}

export function orderCreated(order: Order): OrderCreated {
  return {
    id: order.internalId,
    orderId: order.orderId,
    itemId: [...order.itemIds],
    ...(order.email === undefined ? {} : { email: order.email }),
    createdAt: order.createdAt.toISOString(),
  };
}
