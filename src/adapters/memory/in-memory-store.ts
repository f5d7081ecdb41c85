import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Order } from '../../domain/order.js';
import type { OutboxEvent } from '../../application/ports/outbox.js';

interface StoredEvent extends OutboxEvent {
  readonly id: string;
  readonly createdAt: Date;
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
  insert(order: Order, events: readonly OutboxEvent[]): boolean {
    if (this.orders.has(order.orderId)) return false;
    this.orders.set(order.orderId, order);
    const createdAt = new Date();
    for (const event of events) this.outbox.push({ ...event, id: randomUUID(), createdAt, attempts: 0, claimed: false });
    this.changes.emit('outbox');
    return true;
  }
}
