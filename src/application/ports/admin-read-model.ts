import type { NotificationChannel, NotificationFailureKind, NotificationKind, NotificationStatus } from '../../domain/notification.js';
import type { OrderStatus } from '../../domain/order-status.js';

/** One notification as the admin page lists it: the failure's own text included, admins are trusted. */
export interface NotificationSummary {
  readonly orderId: string;
  readonly kind: NotificationKind;
  readonly channel: NotificationChannel;
  /** The endpoint of a webhook delivery; absent for email. */
  readonly endpointId?: string;
  readonly status: NotificationStatus;
  readonly attempts: number;
  readonly lastError?: string;
  readonly failureKind?: NotificationFailureKind;
  readonly sentAt?: Date;
  /** When a failed notification is tried again. */
  readonly nextAttemptAt?: Date;
  readonly messageId?: string;
  /** The SMTP provider (host:port) that took a sent email. */
  readonly provider?: string;
  /** When the ledger first saw it: the list's order, newest first. */
  readonly createdAt: Date;
  /** The order's status now; absent when the order is not in this database. */
  readonly orderStatus?: OrderStatus;
}

/** Which notifications to list; an absent field does not narrow. */
export interface NotificationFilter {
  readonly status?: NotificationStatus;
  readonly kind?: NotificationKind;
  readonly channel?: NotificationChannel;
}

export interface DeadLetterSummary {
  readonly orderId: string;
  readonly kind: NotificationKind;
  readonly channel: NotificationChannel;
  /** The endpoint of a webhook delivery (what its replay names); absent for email. */
  readonly endpointId?: string;
  readonly attempts: number;
  readonly lastError?: string;
  readonly failureKind?: NotificationFailureKind;
  readonly failedAt?: Date;
}

/** The notifications of one kind (every channel) sent within the last minute, and those dead now. */
export interface KindActivity {
  readonly kind: NotificationKind;
  readonly sentLastMinute: number;
  readonly dead: number;
}

export interface Activity {
  readonly ordersLastMinute: number;
  readonly emailsLastMinute: number;
  /** Webhook deliveries answered 2xx within the last minute. */
  readonly webhooksLastMinute: number;
  readonly outboxBacklog: number;
  /** Events the broker refused for good: each one is a bug to look at (see README, operations). */
  readonly outboxParked: number;
  /** One entry per kind of NOTIFICATION_KINDS, in its order. */
  readonly byKind: readonly KindActivity[];
}

/** What operators look at: recent notifications, the dead ones, the pace. */
export interface AdminReadModel {
  /** Newest first, at most `limit`. */
  recentNotifications(filter: NotificationFilter, limit: number): Promise<NotificationSummary[]>;
  /** Most recently failed first, at most `limit`. */
  deadLetters(limit: number): Promise<DeadLetterSummary[]>;
  activity(): Promise<Activity>;
}

/** Events published but not yet handled by the notifier (Kafka consumer lag, or the in-process queue). */
export interface ConsumerLagProbe {
  total(): Promise<number>;
}
