import type { DomainEvent, EventKind } from './domain-event.js';
import type { Order } from './order.js';
import type { ChangeableStatus, StatusChange, TargetStatus } from './order-status.js';

/** An order moved to another status: the event type and the version of its payload. */
export const ORDER_STATUS_CHANGED = { type: 'order.status-changed', version: 1 } as const satisfies EventKind;

/** The payload of `order.status-changed` version 1: what the notifier needs to tell the customer, without looking the order up. */
export interface OrderStatusChanged {
  /** The change's UUID (also its history entry's id). */
  readonly id: string;
  readonly orderId: string;
  /** The order's UUID. */
  readonly internalId: string;
  readonly status: TargetStatus;
  readonly previousStatus: ChangeableStatus;
  /** The order's version after the change: created = 1, first change = 2, ... */
  readonly sequence: number;
  /** ISO 8601, UTC. */
  readonly changedAt: string;
  /** The order's customer address, when it has one. */
  readonly email?: string;
  /** The order's locale (order-created's), so the status email speaks the customer's language without a look-up. */
  readonly locale?: string;
  readonly note?: string;
  /** https only. */
  readonly trackingUrl?: string;
  readonly carrier?: string;
}

export interface OrderStatusChangedEvent extends DomainEvent<typeof ORDER_STATUS_CHANGED.type, OrderStatusChanged> {
  readonly version: typeof ORDER_STATUS_CHANGED.version;
}

export function orderStatusChanged(order: Order, change: StatusChange): OrderStatusChanged {
  return {
    id: change.id,
    orderId: order.orderId,
    internalId: order.internalId,
    status: change.status,
    previousStatus: change.previousStatus,
    sequence: change.sequence,
    changedAt: change.changedAt.toISOString(),
    ...(order.email === undefined ? {} : { email: order.email }),
    ...(order.locale === undefined ? {} : { locale: order.locale }),
    ...(change.note === undefined ? {} : { note: change.note }),
    ...(change.trackingUrl === undefined ? {} : { trackingUrl: change.trackingUrl }),
    ...(change.carrier === undefined ? {} : { carrier: change.carrier }),
  };
}

export function orderStatusChangedEvent(order: Order, change: StatusChange): OrderStatusChangedEvent {
  return { ...ORDER_STATUS_CHANGED, aggregateId: order.orderId, payload: orderStatusChanged(order, change) };
}
