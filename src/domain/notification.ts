import type { DomainEvent } from './domain-event.js';

/** What a notification announces: one per event an order goes through that its customer is told about. */
export const NOTIFICATION_KINDS = ['order-created', 'order-shipped', 'order-delivered', 'order-cancelled'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** How a notification reaches its recipient: the customer's email, or one of the shop's webhook endpoints. */
export const NOTIFICATION_CHANNELS = ['email', 'webhook'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const isNotificationKind = (value: unknown): value is NotificationKind => (NOTIFICATION_KINDS as readonly unknown[]).includes(value);
export const isNotificationChannel = (value: unknown): value is NotificationChannel => (NOTIFICATION_CHANNELS as readonly unknown[]).includes(value);

/**
 * Which notification: one order, one kind, one channel, and for a webhook one endpoint. Sent at most once each.
 * The notifications of one (order, channel, endpoint) go out in order; one stream never waits for another.
 */
export interface NotificationKey {
  readonly orderId: string;
  readonly kind: NotificationKind;
  readonly channel: NotificationChannel;
  /** The webhook endpoint (`ep_…`) of a webhook notification; absent for email. */
  readonly endpointId?: string;
}

/** What to announce to whom: built by a reaction from an event. */
export interface Notification extends NotificationKey {
  /** The order's uuid: the Message-ID is <{kind}-{internalId}@domain>. */
  readonly internalId: string;
  /** The customer's address, when the order has one. */
  readonly email?: string;
  /** The event it announces; the template reads its payload. */
  readonly event: DomainEvent;
  /** ISO 8601: when it happened (for the latency metric). */
  readonly occurredAt: string;
}

/** One string per notification (`email:order-created/A-1`, `webhook:order-created/A-1@ep_…`), to key maps by. */
export const notificationId = (key: NotificationKey): string => `${key.channel}:${key.kind}/${key.orderId}${key.endpointId === undefined ? '' : `@${key.endpointId}`}`;

/** The key alone, without whatever else the object carries (a Notification's event, email...). */
export const keyOf = (key: NotificationKey): NotificationKey => ({
  orderId: key.orderId,
  kind: key.kind,
  channel: key.channel,
  ...(key.endpointId === undefined ? {} : { endpointId: key.endpointId }),
});

/**
 * Where a notification stands: `pending` until a notifier has looked at it, or while it waits behind an
 * earlier notification of its order that is not finished yet.
 */
export const NOTIFICATION_STATUSES = ['pending', 'sending', 'sent', 'failed', 'dead', 'skipped'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export const isNotificationStatus = (value: unknown): value is NotificationStatus => (NOTIFICATION_STATUSES as readonly unknown[]).includes(value);

/**
 * Why an order's email did not go (yet), in words that name no address, host or driver: what a caller
 * without a key may see. The failure's own text is for the logs and the admin page.
 */
export const NOTIFICATION_FAILURE_KINDS = [
  /** The mail server could not be reached, or dropped the connection. */
  'smtp-unreachable',
  /** The mail server refused our credentials. */
  'auth-failed',
  /** The mail server refuses mail from us, whoever it is for. */
  'sender-refused',
  /** The mail server says our sending quota or rate is used up. */
  'rate-limited',
  /** The mail server refused this email for good (a 5xx for its recipient or content, or an address it cannot use). */
  'recipient-rejected',
  /** The mail server refused this email for now (a 4xx): it is tried again later. */
  'temporary-failure',
  /** Skipped: the order has no email address and no default recipient is configured. */
  'no-recipient',
  /** Skipped: its address already had NOTIFY_MAX_PER_RECIPIENT_PER_HOUR emails within the last hour. */
  'recipient-rate-limited',
  /** The order could not be handled at all (a bug, a value the database refuses): dead-lettered. */
  'poison',
  /** The webhook endpoint could not be reached, or did not answer in time: tried again. */
  'endpoint-unreachable',
  /** The webhook endpoint answered 408, 429 or 5xx: tried again. */
  'endpoint-failed',
  /** The webhook endpoint answered another 4xx, or a redirect (not followed): not tried again. */
  'endpoint-rejected',
  /** The webhook endpoint's host resolves to a private, loopback, link-local or metadata address: refused. */
  'address-refused',
  /** Skipped: the webhook endpoint was disabled or deleted before the delivery went out. */
  'endpoint-disabled',
  /** Recorded before failure kinds were. */
  'unknown',
] as const;
export type NotificationFailureKind = (typeof NOTIFICATION_FAILURE_KINDS)[number];

export function isNotificationFailureKind(value: unknown): value is NotificationFailureKind {
  return (NOTIFICATION_FAILURE_KINDS as readonly unknown[]).includes(value);
}

/** A failure as the ledger records it: its kind for the public, its text for operators. */
export interface NotificationFailure {
  readonly kind: NotificationFailureKind;
  readonly error: string;
}

export interface NotificationState {
  readonly status: NotificationStatus;
  readonly attempts: number;
  readonly lastError?: string;
  /** Set whenever lastError is. */
  readonly failureKind?: NotificationFailureKind;
  readonly sentAt?: Date;
  readonly messageId?: string;
  /** The SMTP provider (host:port) that took a sent email; operators' business, never shown to the public. */
  readonly provider?: string;
}

export const PENDING: NotificationState = { status: 'pending', attempts: 0 };

/**
 * Not finished: a later notification of the same order waits for it. Sent, dead and skipped are finished
 * (nothing more is tried unless someone replays it), so nothing waits for ever.
 */
export const UNFINISHED_STATUSES = ['pending', 'sending', 'failed'] as const satisfies readonly NotificationStatus[];

export function isUnfinished(status: NotificationStatus): boolean {
  return (UNFINISHED_STATUSES as readonly NotificationStatus[]).includes(status);
}

/** A notification's state with what it is: one entry of an order's list. */
export interface NotificationRecord extends NotificationState {
  readonly kind: NotificationKind;
  readonly channel: NotificationChannel;
  readonly endpointId?: string;
}
