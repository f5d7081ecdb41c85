import type { Notification, NotificationChannel, NotificationFailure, NotificationKey, NotificationRecord, NotificationState } from '../../domain/notification.js';

/** Where an event came from, for dead letters and logs. */
export interface EventSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** One notification, held by one notifier at a time under a lease. */
export interface NotificationJob {
  readonly notification: Notification;
  readonly correlationId?: string;
  readonly source?: EventSource;
  /** Failed attempts so far (an unreachable server does not count). */
  readonly attempts: number;
  /** Sends that lost the connection after the final dot: the server may have accepted each of them. */
  readonly unknownOutcomes: number;
  readonly firstFailedAt?: Date;
}

export type Claim = { readonly claimed: true; readonly job: NotificationJob } | { readonly claimed: false; readonly state: NotificationState };

export interface RetryPlan extends NotificationFailure {
  readonly attempts: number;
  readonly dueAt: Date;
}

/**
 * Every notification, by key, with its lease and retry state. The notifications of one stream (order, channel,
 * endpoint) go out in the order they reached the ledger: one waits (`pending`) while an earlier one of its
 * stream is pending, being sent or failed; sent, dead and skipped are finished, so nothing waits for ever.
 * Streams never wait for each other: a webhook endpoint that is down holds back neither email nor other endpoints.
 */
export interface NotificationLedger {
  /** The state of one notification, or null when no notifier has seen it yet. */
  stateOf(key: NotificationKey): Promise<NotificationState | null>;
  /** Every notification of an order the ledger knows, in the order they reached it. */
  statesOf(orderId: string): Promise<NotificationRecord[]>;
  /**
   * Takes the notification for `owner` until the lease ends: when it is new, or when an earlier holder's
   * lease ran out, or its retry is due. A new one that has to wait behind an earlier unfinished one of its
   * order is recorded as pending and not taken: claimDue hands it out once the earlier ones are finished.
   * Otherwise tells its current state (sent, being sent, scheduled, queued, dead...).
   */
  claim(notification: Notification, context: { correlationId?: string; source?: EventSource }, owner: string, leaseMs: number): Promise<Claim>;
  /**
   * Records notifications to be sent later by claimDue (webhook deliveries: the event's handler does not wait
   * for the shop's endpoints), as `pending`; one the ledger knows already is left as it is. Resolves once durable.
   */
  enqueue(notifications: readonly Notification[], context: { correlationId?: string; source?: EventSource }): Promise<void>;
  /**
   * Takes up to `limit` notifications of `channel` whose retry is due, whose holder's lease ran out, or whose turn
   * has come; none for the endpoints in `skipEndpoints` (their circuit is open: they stay due, untouched).
   */
  claimDue(limit: number, owner: string, leaseMs: number, channel: NotificationChannel, skipEndpoints?: readonly string[]): Promise<NotificationJob[]>;
  /** Extends the leases `owner` still holds on these notifications, so a slow send is not taken over. */
  renew(keys: readonly NotificationKey[], owner: string, leaseMs: number): Promise<void>;
  /** `provider`: the SMTP provider that took an email (its host:port); none for a webhook delivery, whose endpoint is in its key. */
  markSent(key: NotificationKey, owner: string, messageId: string, provider?: string): Promise<void>;
  /** Counts a send whose outcome is unknown, whoever holds the notification now: the server may have the email. */
  recordUnknownOutcome(key: NotificationKey): Promise<void>;
  markSkipped(key: NotificationKey, owner: string, reason: NotificationFailure): Promise<void>;
  scheduleRetry(key: NotificationKey, owner: string, plan: RetryPlan): Promise<void>;
  /** Gives the notification back without counting an attempt, due again at `dueAt`. */
  release(key: NotificationKey, owner: string, dueAt: Date, reason: NotificationFailure): Promise<void>;
  markDead(key: NotificationKey, owner: string, failure: NotificationFailure & { attempts: number }): Promise<void>;
  /** Makes a dead notification sendable again, its attempts and unknown outcomes forgotten; false when it is not dead. */
  resetDead(key: NotificationKey): Promise<boolean>;
}
