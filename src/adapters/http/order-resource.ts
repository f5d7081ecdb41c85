import type { NotificationRecord, NotificationState } from '../../domain/notification.js';
import type { Order } from '../../domain/order.js';
import type { StatusChange } from '../../domain/order-status.js';
import type { Caller } from './callers.js';

/** An order as the API shows it. */
export function orderResource(order: Order): { internalId: string; orderId: string; itemId: string[]; locale?: string; createdAt: string } {
  return {
    internalId: order.internalId,
    orderId: order.orderId,
    itemId: [...order.itemIds],
    ...(order.locale === undefined ? {} : { locale: order.locale }),
    createdAt: order.createdAt.toISOString(),
  };
}

/** An order's statuses as the API shows them, oldest first: `created` at its creation, then each accepted change. */
export function statusHistoryResource(order: Order, changes: readonly StatusChange[]): Record<string, unknown>[] {
  return [
    { status: 'created', at: order.createdAt.toISOString() },
    ...changes.map((change) => ({
      status: change.status,
      at: change.changedAt.toISOString(),
      ...(change.note === undefined ? {} : { note: change.note }),
      ...(change.trackingUrl === undefined ? {} : { trackingUrl: change.trackingUrl }),
      ...(change.carrier === undefined ? {} : { carrier: change.carrier }),
    })),
  ];
}

/** An order's state after POST /orders/{orderId}/status. */
export function orderStatusResource(order: Order, changes: readonly StatusChange[]): Record<string, unknown> {
  return { orderId: order.orderId, internalId: order.internalId, status: order.status, version: order.version, statusHistory: statusHistoryResource(order, changes) };
}

/** The one decision: only a caller holding an API key sees the customer's full address. */
export function seesFullEmail(caller: Caller | undefined): boolean {
  return caller?.kind === 'key';
}

export const EMAIL_MASK = '•••';
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * `ada@example.com` → `a•••@example.com`: the first character of the local part (a whole grapheme, so an
 * emoji or an accent is never cut), then the mask, then the domain. The mask hides the length; a local part
 * of one character shows none of it, since that character would be all of it.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return EMAIL_MASK;
  const local = email.slice(0, at);
  const [first] = graphemes.segment(local);
  const shown = first && first.segment.length < local.length ? first.segment : '';
  return `${shown}${EMAIL_MASK}${email.slice(at)}`;
}

/**
 * An order with the state of its notifications, as GET /orders/{orderId} shows it: `notification` is its
 * confirmation (kept for the clients from before), `notifications` all of them, a webhook delivery with its
 * endpoint's id (never its URL). A failure shows as its kind only, to every caller: its text may name a mail
 * server's or endpoint's address or a recipient, and is for logs and the admin page.
 */
export function orderLookupResource(
  order: Order,
  notification: NotificationState,
  caller: Caller | undefined,
  notifications: readonly NotificationRecord[],
  statusHistory: readonly StatusChange[] = [],
): Record<string, unknown> {
  return {
    ...orderResource(order),
    ...(order.email === undefined ? {} : { email: seesFullEmail(caller) ? order.email : maskEmail(order.email) }),
    status: order.status,
    statusHistory: statusHistoryResource(order, statusHistory),
    notification: publicState(notification),
    notifications: notifications.map((n) => ({ kind: n.kind, channel: n.channel, ...(n.endpointId === undefined ? {} : { endpointId: n.endpointId }), ...publicState(n) })),
  };
}

function publicState(notification: NotificationState): Record<string, unknown> {
  return {
    status: notification.status,
    attempts: notification.attempts,
    ...(notification.failureKind ? { failureKind: notification.failureKind } : {}),
    ...(notification.sentAt ? { sentAt: notification.sentAt.toISOString() } : {}),
  };
}
