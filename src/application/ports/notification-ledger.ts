import type { NotificationState } from '../../domain/notification.js';

export interface NotificationLedger {
  /** The notification state of an order, or null when no notifier has touched it yet. */
  stateOf(orderId: string): Promise<NotificationState | null>;
}
