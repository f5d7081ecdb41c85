import { OrderDuplicateError } from '../../domain/errors.js';
import type { Order } from '../../domain/order.js';
import type { OrderRepository } from '../../application/ports/order-repository.js';
import type { DomainEvent } from '../../domain/domain-event.js';
import type { EventMetadata } from '../../application/ports/outbox.js';
import type { StatusChange } from '../../domain/order-status.js';
import { ConcurrentChangeError } from '../../application/errors.js';
import { copyOf, InMemoryStore } from './in-memory-store.js';

export class InMemoryOrderRepository implements OrderRepository {
  constructor(readonly store: InMemoryStore = new InMemoryStore()) {}

  async add(order: Order, events: readonly DomainEvent[], metadata: EventMetadata): Promise<void> {
    if (!this.store.insert(order, events, metadata)) throw new OrderDuplicateError(order.orderId);
  }

  async findByOrderId(orderId: string): Promise<Order | null> {
    const stored = this.store.orders.get(orderId);
    return stored ? copyOf(stored) : null;
  }

  async saveStatusChange(order: Order, change: StatusChange, events: readonly DomainEvent[], metadata: EventMetadata): Promise<void> {
    if (!this.store.changeStatus(order, change, events, metadata)) throw new ConcurrentChangeError(order.orderId);
  }

  async statusHistory(orderId: string): Promise<StatusChange[]> {
    return (this.store.statusChanges.get(orderId) ?? []).map((change) => ({ ...change }));
  }
}
