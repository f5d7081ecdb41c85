import type { Order } from './order.js';

export const ORDER_CREATED_SCHEMA_VERSION = 1;

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
