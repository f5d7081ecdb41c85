import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DomainEvent } from '../../domain/domain-event.js';
import type { Order } from '../../domain/order.js';
import { serialisePayload, type EventMetadata, type PendingEvent } from '../../application/ports/outbox.js';

interface StoredEvent extends PendingEvent {
  attempts: number;
  publishedAt?: Date;
  parked?: { readonly at: Date; readonly reason: string };
  claimed: boolean;
}

/** The tables of the in-memory twin: orders and outbox, changed together like one transaction. */
export class InMemoryStore {
  readonly orders = new Map<string, Order>();
  readonly outbox: StoredEvent[] = [];
  readonly changes = new EventEmitter();

  /** Synchronous, so concurrent callers can never both pass the uniqueness check. */
  insert(order: Order, events: readonly DomainEvent[], metadata: EventMetadata): boolean {
    // Serialised like the SQL outbox does, before anything is stored: a payload too large refuses the whole insert.
    const stored = events.map((event) => ({ ...event, payload: JSON.parse(serialisePayload(event)) as object }));
    if (this.orders.has(order.orderId)) return false;
    this.orders.set(order.orderId, order);
    const createdAt = new Date();
    for (const event of stored) this.outbox.push({ event, metadata: { ...metadata }, id: randomUUID(), createdAt, attempts: 0, claimed: false });
    this.changes.emit('outbox');
    return true;
  }
}
