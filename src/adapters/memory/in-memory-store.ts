import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DomainEvent } from '../../domain/domain-event.js';
import { Order } from '../../domain/order.js';
import type { StatusChange } from '../../domain/order-status.js';
import { serialisePayload, type EventMetadata, type PendingEvent } from '../../application/ports/outbox.js';

interface StoredEvent extends PendingEvent {
  attempts: number;
  publishedAt?: Date;
  parked?: { readonly at: Date; readonly reason: string };
  claimed: boolean;
}

/** The tables of the in-memory twin: orders, their status history and outbox, changed together like one transaction. */
export class InMemoryStore {
  /** Copies: an order a caller holds (and changes) is not the stored one, as with a database. */
  readonly orders = new Map<string, Order>();
  readonly statusChanges = new Map<string, StatusChange[]>();
  readonly outbox: StoredEvent[] = [];
  readonly changes = new EventEmitter();

  /** Synchronous, so concurrent callers can never both pass the uniqueness check. */
  insert(order: Order, events: readonly DomainEvent[], metadata: EventMetadata): boolean {
    // Serialised like the SQL outbox does, before anything is stored: a payload too large refuses the whole insert.
    const stored = events.map((event) => ({ ...event, payload: JSON.parse(serialisePayload(event)) as object }));
    if (this.orders.has(order.orderId)) return false;
    this.orders.set(order.orderId, copyOf(order));
    this.enqueue(stored, metadata);
    return true;
  }

  /** Synchronous too: of changes decided on the same version, exactly one is stored; false for the others. */
  changeStatus(order: Order, change: StatusChange, events: readonly DomainEvent[], metadata: EventMetadata): boolean {
    const stored = events.map((event) => ({ ...event, payload: JSON.parse(serialisePayload(event)) as object }));
    if (this.orders.get(order.orderId)?.version !== change.sequence - 1) return false;
    this.orders.set(order.orderId, copyOf(order));
    this.statusChanges.set(order.orderId, [...(this.statusChanges.get(order.orderId) ?? []), { ...change }]);
    this.enqueue(stored, metadata);
    return true;
  }

  private enqueue(events: readonly DomainEvent[], metadata: EventMetadata): void {
    const createdAt = new Date();
    for (const event of events) this.outbox.push({ event, metadata: { ...metadata }, id: randomUUID(), createdAt, attempts: 0, claimed: false });
    this.changes.emit('outbox');
  }
}

export function copyOf(order: Order): Order {
  return Order.restore(order.snapshot());
}
