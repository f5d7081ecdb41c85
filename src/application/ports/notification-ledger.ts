import type { NotificationFailure, NotificationState } from '../../domain/notification.js';
import type { OrderCreated } from '../../domain/order-created.js';

/** Where an event came from, for dead letters and logs. */
export interface EventSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** One order's email, held by one notifier at a time under a lease. */
export interface NotificationJob {
  readonly event: OrderCreated;
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

export interface NotificationLedger {
  /** The notification state of an order, or null when no notifier has seen it yet. */
  stateOf(orderId: string): Promise<NotificationState | null>;
  /**
   * Takes the order for `owner` until the lease ends: when it is new, or when an earlier holder's
   * lease ran out. Otherwise tells its current state (sent, being sent, scheduled, dead...).
   */
  claim(event: OrderCreated, context: { correlationId?: string; source?: EventSource }, owner: string, leaseMs: number): Promise<Claim>;
  /** Takes up to `limit` orders whose retry is due or whose holder's lease ran out. */
  claimDue(limit: number, owner: string, leaseMs: number): Promise<NotificationJob[]>;
  /** Extends the leases `owner` still holds on these orders, so a slow send is not taken over. */
  renew(orderIds: readonly string[], owner: string, leaseMs: number): Promise<void>;
  markSent(orderId: string, owner: string, messageId: string): Promise<void>;
  /** Counts a send whose outcome is unknown, whoever holds the order now: the server may have the email. */
  recordUnknownOutcome(orderId: string): Promise<void>;
  markSkipped(orderId: string, owner: string, reason: NotificationFailure): Promise<void>;
  scheduleRetry(orderId: string, owner: string, plan: RetryPlan): Promise<void>;
  /** Gives the order back without counting an attempt, due again at `dueAt`. */
  release(orderId: string, owner: string, dueAt: Date, reason: NotificationFailure): Promise<void>;
  markDead(orderId: string, owner: string, failure: NotificationFailure & { attempts: number }): Promise<void>;
  /** Makes a dead order sendable again, its attempts and unknown outcomes forgotten; false when it is not dead. */
  resetDead(orderId: string): Promise<boolean>;
}
