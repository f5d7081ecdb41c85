import type { Order } from '../../domain/order.js';
import type { OutboxEvent } from './outbox.js';

export interface OrderRepository {
  /**
   * Stores the order and its outgoing events in one atomic step.
   * Throws OrderDuplicateError when the orderId is already taken, however many callers race.
   */
  add(order: Order, events: readonly OutboxEvent[]): Promise<void>;
  findByOrderId(orderId: string): Promise<Order | null>;
}
