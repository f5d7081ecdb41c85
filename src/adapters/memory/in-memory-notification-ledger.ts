import {
  isUnfinished,
  notificationId,
  type Notification,
  type NotificationChannel,
  type NotificationFailure,
  type NotificationFailureKind,
  type NotificationKey,
  type NotificationRecord,
  type NotificationState,
  type NotificationStatus,
} from '../../domain/notification.js';
import type { Claim, EventSource, NotificationJob, NotificationLedger, RetryPlan } from '../../application/ports/notification-ledger.js';

interface Entry {
  notification: Notification;
  /** Arrival order: the notifications of one stream (order, channel, endpoint) go out in this order. */
  seq: number;
  correlationId?: string;
  source?: EventSource;
  status: NotificationStatus;
  attempts: number;
  unknownOutcomes: number;
  lastError?: string;
  failureKind?: NotificationFailureKind;
  messageId?: string;
  provider?: string;
  leaseOwner?: string;
  leaseUntil?: number;
  nextAttemptAt?: number;
  firstFailedAt?: Date;
  sentAt?: Date;
}

/** The ledger's in-memory twin; every check-and-set is synchronous, so it is as race-free as the SQL one. */
export class InMemoryNotificationLedger implements NotificationLedger {
  private readonly entries = new Map<string, Entry>();
  private arrivals = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async stateOf(key: NotificationKey): Promise<NotificationState | null> {
    const entry = this.entries.get(notificationId(key));
    return entry ? stateOf(entry) : null;
  }

  async statesOf(orderId: string): Promise<NotificationRecord[]> {
    return [...this.entries.values()]
      .filter((entry) => entry.notification.orderId === orderId)
      .sort((a, b) => a.seq - b.seq)
      .map((entry) => {
        const { kind, channel, endpointId } = entry.notification;
        return { kind, channel, ...(endpointId === undefined ? {} : { endpointId }), ...stateOf(entry) };
      });
  }

  async claim(notification: Notification, context: { correlationId?: string; source?: EventSource }, owner: string, leaseMs: number): Promise<Claim> {
    const existing = this.entries.get(notificationId(notification));
    if (!existing) {
      const entry: Entry = { notification, seq: ++this.arrivals, ...context, status: 'pending', attempts: 0, unknownOutcomes: 0 };
      this.entries.set(notificationId(notification), entry);
      if (this.waits(entry)) return { claimed: false, state: stateOf(entry) };
      return { claimed: true, job: this.take(entry, owner, leaseMs) };
    }
    if (this.isDue(existing)) return { claimed: true, job: this.take(existing, owner, leaseMs) };
    return { claimed: false, state: stateOf(existing) };
  }

  async enqueue(notifications: readonly Notification[], context: { correlationId?: string; source?: EventSource }): Promise<void> {
    for (const notification of notifications) {
      const id = notificationId(notification);
      if (!this.entries.has(id)) this.entries.set(id, { notification, seq: ++this.arrivals, ...context, status: 'pending', attempts: 0, unknownOutcomes: 0 });
    }
  }

  async claimDue(limit: number, owner: string, leaseMs: number, channel: NotificationChannel, skipEndpoints: readonly string[] = []): Promise<NotificationJob[]> {
    const skipped = new Set(skipEndpoints);
    const due = [...this.entries.values()]
      .filter((e) => e.notification.channel === channel && !skipped.has(e.notification.endpointId ?? '') && this.isDue(e))
      .slice(0, limit);
    return due.map((entry) => this.take(entry, owner, leaseMs));
  }

  async renew(keys: readonly NotificationKey[], owner: string, leaseMs: number): Promise<void> {
    for (const key of keys) {
      const entry = this.entries.get(notificationId(key));
      if (entry?.status === 'sending' && entry.leaseOwner === owner) entry.leaseUntil = this.now() + leaseMs;
    }
  }

  async markSent(key: NotificationKey, _owner: string, messageId: string, provider?: string): Promise<void> {
    const entry = this.entries.get(notificationId(key));
    if (!entry || entry.status === 'sent') return;
    Object.assign(entry, { status: 'sent', messageId, provider, sentAt: new Date(this.now()), lastError: undefined, failureKind: undefined, nextAttemptAt: undefined });
    this.releaseLease(entry);
  }

  async recordUnknownOutcome(key: NotificationKey): Promise<void> {
    const entry = this.entries.get(notificationId(key));
    if (entry) entry.unknownOutcomes += 1;
  }

  async markSkipped(key: NotificationKey, owner: string, reason: NotificationFailure): Promise<void> {
    this.update(key, owner, { status: 'skipped', lastError: reason.error, failureKind: reason.kind });
  }

  async scheduleRetry(key: NotificationKey, owner: string, plan: RetryPlan): Promise<void> {
    this.update(key, owner, { status: 'failed', attempts: plan.attempts, lastError: plan.error, failureKind: plan.kind, nextAttemptAt: plan.dueAt.getTime() }, true);
  }

  async release(key: NotificationKey, owner: string, dueAt: Date, reason: NotificationFailure): Promise<void> {
    this.update(key, owner, { status: 'failed', nextAttemptAt: dueAt.getTime(), lastError: reason.error, failureKind: reason.kind });
  }

  async markDead(key: NotificationKey, owner: string, failure: NotificationFailure & { attempts: number }): Promise<void> {
    this.update(key, owner, { status: 'dead', attempts: failure.attempts, lastError: failure.error, failureKind: failure.kind, nextAttemptAt: undefined }, true);
  }

  async resetDead(key: NotificationKey): Promise<boolean> {
    const entry = this.entries.get(notificationId(key));
    if (!entry || entry.status !== 'dead') return false;
    Object.assign(entry, { status: 'failed', attempts: 0, unknownOutcomes: 0, firstFailedAt: undefined, nextAttemptAt: this.now() });
    return true;
  }

  private isDue(entry: Entry): boolean {
    const now = this.now();
    if (entry.status === 'pending') return !this.waits(entry);
    return (entry.status === 'sending' && (entry.leaseUntil ?? 0) < now) || (entry.status === 'failed' && (entry.nextAttemptAt ?? 0) <= now);
  }

  /** Whether an earlier notification of the same stream (order, channel, endpoint) is not finished yet. */
  private waits(entry: Entry): boolean {
    const { orderId, channel, endpointId } = entry.notification;
    for (const { notification: other, seq, status } of this.entries.values())
      if (other.orderId === orderId && other.channel === channel && other.endpointId === endpointId && seq < entry.seq && isUnfinished(status)) return true;
    return false;
  }

  private take(entry: Entry, owner: string, leaseMs: number): NotificationJob {
    Object.assign(entry, { status: 'sending', leaseOwner: owner, leaseUntil: this.now() + leaseMs });
    return {
      notification: entry.notification,
      attempts: entry.attempts,
      unknownOutcomes: entry.unknownOutcomes,
      ...(entry.correlationId ? { correlationId: entry.correlationId } : {}),
      ...(entry.source ? { source: entry.source } : {}),
      ...(entry.firstFailedAt ? { firstFailedAt: entry.firstFailedAt } : {}),
    };
  }

  private update(key: NotificationKey, owner: string, changes: Partial<Entry>, failed = false): void {
    const entry = this.entries.get(notificationId(key));
    if (!entry || entry.leaseOwner !== owner) return;
    Object.assign(entry, changes);
    if (failed) entry.firstFailedAt ??= new Date(this.now());
    this.releaseLease(entry);
  }

  private releaseLease(entry: Entry): void {
    entry.leaseOwner = undefined;
    entry.leaseUntil = undefined;
  }
}

function stateOf(entry: Entry): NotificationState {
  return {
    status: entry.status,
    attempts: entry.attempts,
    ...(entry.lastError ? { lastError: entry.lastError, failureKind: entry.failureKind ?? 'unknown' } : {}),
    ...(entry.sentAt ? { sentAt: entry.sentAt } : {}),
    ...(entry.messageId ? { messageId: entry.messageId } : {}),
    ...(entry.provider ? { provider: entry.provider } : {}),
  };
}
