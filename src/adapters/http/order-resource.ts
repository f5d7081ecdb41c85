import type { Order } from '../../domain/order.js';

/** An order as the API shows it. */
export function orderResource(order: Order): { internalId: string; orderId: string; itemId: string[]; createdAt: string } {
  return {
    internalId: order.internalId,
    orderId: order.orderId,
    itemId: [...order.itemIds],
    createdAt: order.createdAt.toISOString(),
  };
}
