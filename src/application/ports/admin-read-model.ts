import type { NotificationStatus } from '../../domain/notification.js';

export interface OrderSummary {
  readonly orderId: string;
  readonly internalId: string;
  readonly email?: string;
  readonly items: number;
  readonly createdAt: Date;
  readonly status: NotificationStatus;
  readonly attempts: number;
  readonly lastError?: string;
  readonly sentAt?: Date;
}

export interface DeadLetterSummary {
  readonly orderId: string;
  readonly attempts: number;
  readonly lastError?: string;
  readonly failedAt?: Date;
}

export interface Activity {
  readonly ordersLastMinute: number;
  readonly emailsLastMinute: number;
  readonly outboxBacklog: number;
  /** Events the broker refused for good: each one is a bug to look at (see README, operations). */
  readonly outboxParked: number;
}

/** What operators look at: recent orders with their email, the dead letters, the pace. */
export interface AdminReadModel {
  recentOrders(limit: number): Promise<OrderSummary[]>;
  deadLetters(limit: number): Promise<DeadLetterSummary[]>;
  activity(): Promise<Activity>;
}

/** Events published but not yet handled by the notifier (Kafka consumer lag, or the in-process queue). */
export interface ConsumerLagProbe {
  total(): Promise<number>;
}
