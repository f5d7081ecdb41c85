/**
 * A cap on the orders emailed to one recipient in any hour (a sliding window), shared by every notifier
 * on the same store. A unit belongs to an order: taking again for the same order within its hour is free.
 */
export interface RecipientQuota {
  /** Orders per recipient per hour. */
  readonly perHour: number;
  /**
   * Takes a unit of `recipient`'s hour for `orderId`, unless the order holds one taken within the last
   * hour already (a retry, a redelivery, a take-over): then it is allowed without taking another.
   * @param recipient the key of the address (`recipientKey`), not the address as written
   * @returns false when `perHour` other orders took a unit for `recipient` within the last hour
   * @throws DependencyUnavailableError when the store cannot be reached
   */
  take(recipient: string, orderId: string): Promise<boolean>;
  /** Forgets the units taken more than an hour ago; resolves with how many. */
  prune(): Promise<number>;
}

export const QUOTA_WINDOW_MS = 3_600_000;
