import { OrderDuplicateError } from '../../domain/errors.js';
import type { Order } from '../../domain/order.js';
import type { OrderRepository } from '../../application/ports/order-repository.js';
import type { OutboxEvent } from '../../application/ports/outbox.js';
import { InMemoryStore } from './in-memory-store.js';

export class InMemoryOrderRepository implements OrderRepository {
  constructor(readonly store: InMemoryStore = new InMemoryStore()) {}

  async add(order: Order, events: readonly OutboxEvent[]): Promise<void> {
    if (!this.store.insert(order, events)) throw new OrderDuplicateError(order.orderId);
  }

  async findByOrderId(orderId: string): Promise<Order | null> {
    return this.store.orders.get(orderId) ?? null;
  }
}
