import type { NotificationKey } from '../../domain/notification.js';

/**
 * A cap on the emails to one recipient in any hour (a sliding window), shared by every notifier on the same
 * store. A unit belongs to a notification: taking again for the same one within its hour is free, while the
 * confirmation and the shipping email of one order take one each.
 */
export interface RecipientQuota {
  /** Emails per recipient per hour. */
  readonly perHour: number;
  /**
   * Takes a unit of `recipient`'s hour for a notification, unless it holds one taken within the last hour
   * already (a retry, a redelivery, a take-over): then it is allowed without taking another.
   * @param recipient the key of the address (`recipientKey`), not the address as written
   * @param unit the notification's `quotaUnitOf`
   * @returns false when `perHour` other notifications took a unit for `recipient` within the last hour
   * @throws DependencyUnavailableError when the store cannot be reached
   */
  take(recipient: string, unit: string): Promise<boolean>;
  /** Forgets the units taken more than an hour ago; resolves with how many. */
  prune(): Promise<number>;
}

export const QUOTA_WINDOW_MS = 3_600_000;

/** The unit a notification takes: `order-created/A-1`. Email is the only capped channel, so it is left out. */
export const quotaUnitOf = (key: NotificationKey): string => `${key.kind}/${key.orderId}`;
