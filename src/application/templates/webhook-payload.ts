import type { DomainEvent } from '../../domain/domain-event.js';
import type { Notification, NotificationKind } from '../../domain/notification.js';
import { ORDER_CREATED, type OrderCreated } from '../../domain/order-created.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChanged } from '../../domain/order-status-changed.js';
import type { OrderStatus } from '../../domain/order-status.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../domain/webhook-endpoint.js';
import { payloadOf } from './template.js';

/** What a receiver gets about the order, whatever happened to it: schemas/webhook-event.v1.json. */
export interface WebhookEventData {
  readonly orderId: string;
  /** The order's UUID. */
  readonly internalId: string;
  /** The order's status after the event: `created` for order.created. */
  readonly status: OrderStatus;
  /** ISO 8601, UTC: when the order was created, or changed status. */
  readonly occurredAt: string;
  /** The customer's address, when the order has one. */
  readonly email?: string;
  /** The customer's language (BCP 47, canonical), when the order has one. */
  readonly locale?: string;
  /** order.created: the items ordered. */
  readonly itemIds?: readonly string[];
  /** A status change: the status before it. */
  readonly previousStatus?: OrderStatus;
  readonly note?: string;
  readonly trackingUrl?: string;
  readonly carrier?: string;
}

/** The body of a delivery, in the Standard Webhooks form. */
export interface WebhookBody {
  readonly type: WebhookEventType;
  /** ISO 8601: when the event happened (the attempt's own time is in the `webhook-timestamp` header). */
  readonly timestamp: string;
  readonly data: WebhookEventData;
}

/**
 * The `webhook-id` of a notification: the same on every attempt and for every endpoint, so a receiver
 * deduplicates by it (`msg_order-shipped_<order uuid>`: each kind happens once per order).
 */
export function webhookMessageId(notification: { readonly kind: NotificationKind; readonly internalId: string }): string {
  return `msg_${notification.kind}_${notification.internalId}`;
}

/** The body of a webhook notification, from the event it announces. @throws Error for an event no webhook describes (a bug: poison). */
export function webhookBody(notification: Notification): WebhookBody {
  const type = WEBHOOK_EVENT_TYPES[notification.kind] as WebhookEventType | undefined;
  if (type === undefined) throw new Error(`no webhook event type for ${String(notification.kind)} notifications: replay it once a version that has one is deployed`);
  return { type, timestamp: notification.occurredAt, data: eventData(notification.event) };
}

function eventData(event: DomainEvent): WebhookEventData {
  if (event.type === ORDER_CREATED.type) {
    const created = payloadOf<OrderCreated>(event, ORDER_CREATED);
    return {
      orderId: created.orderId,
      internalId: created.id,
      status: 'created',
      occurredAt: created.createdAt,
      ...(created.email === undefined ? {} : { email: created.email }),
      ...(created.locale === undefined ? {} : { locale: created.locale }),
      itemIds: created.itemId,
    };
  }
  const change = payloadOf<OrderStatusChanged>(event, ORDER_STATUS_CHANGED);
  return {
    orderId: change.orderId,
    internalId: change.internalId,
    status: change.status,
    occurredAt: change.changedAt,
    ...(change.email === undefined ? {} : { email: change.email }),
    ...(change.locale === undefined ? {} : { locale: change.locale }),
    previousStatus: change.previousStatus,
    ...(change.note === undefined ? {} : { note: change.note }),
    ...(change.trackingUrl === undefined ? {} : { trackingUrl: change.trackingUrl }),
    ...(change.carrier === undefined ? {} : { carrier: change.carrier }),
  };
}
