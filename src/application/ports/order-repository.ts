import type { DomainEvent } from '../../domain/domain-event.js';
import type { Order } from '../../domain/order.js';
import type { StatusChange } from '../../domain/order-status.js';
import type { EventMetadata } from './outbox.js';

export interface OrderRepository {
  /**
   * Stores the order and its events (into the outbox, with `metadata`) in one atomic step.
   * Throws OrderDuplicateError when the orderId is already taken, however many callers race, and
   * ValidationError when an event is too large to publish (see serialisePayload); then nothing is stored.
   */
  add(order: Order, events: readonly DomainEvent[], metadata: EventMetadata): Promise<void>;
  /** The order as stored now, with its status and version. */
  findByOrderId(orderId: string): Promise<Order | null>;
  /**
   * Stores an order's accepted status change: its new status and version, the history entry and its
   * events (into the outbox, with `metadata`), in one atomic step, and only if the stored order is still
   * at the version the change was decided on (`change.sequence - 1`).
   * @throws ConcurrentChangeError when another change got there first (nothing is stored: reload and decide again)
   */
  saveStatusChange(order: Order, change: StatusChange, events: readonly DomainEvent[], metadata: EventMetadata): Promise<void>;
  /** The order's accepted status changes, oldest first (none for an unknown order). */
  statusHistory(orderId: string): Promise<StatusChange[]>;
}
