import type { DomainEvent } from '../../domain/domain-event.js';
import type { Order } from '../../domain/order.js';
import type { EventMetadata } from './outbox.js';

export interface OrderRepository {
  /**
   * Stores the order and its events (into the outbox, with `metadata`) in one atomic step.
   * Throws OrderDuplicateError when the orderId is already taken, however many callers race, and
   * ValidationError when an event is too large to publish (see serialisePayload); then nothing is stored.
   */
  add(order: Order, events: readonly DomainEvent[], metadata: EventMetadata): Promise<void>;
  findByOrderId(orderId: string): Promise<Order | null>;
}
