import type { NotificationFailure, NotificationFailureKind, NotificationState, NotificationStatus } from '../../domain/notification.js';
import type { OrderCreated } from '../../domain/order-created.js';
import type { Claim, EventSource, NotificationJob, NotificationLedger, RetryPlan } from '../../application/ports/notification-ledger.js';

interface Entry {
  event: OrderCreated;
  correlationId?: string;
  source?: EventSource;
  status: NotificationStatus;
  attempts: number;
  unknownOutcomes: number;
  lastError?: string;
  failureKind?: NotificationFailureKind;
  messageId?: string;
  leaseOwner?: string;
  leaseUntil?: number;
  nextAttemptAt?: number;
  firstFailedAt?: Date;
  sentAt?: Date;
}

/** The ledger's in-memory twin; every check-and-set is synchronous, so it is as race-free as the SQL one. */
export class InMemoryNotificationLedger implements NotificationLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  async stateOf(orderId: string): Promise<NotificationState | null> {
    const entry = this.entries.get(orderId);
    if (!entry) return null;
    return {
      status: entry.status,
      attempts: entry.attempts,
      ...(entry.lastError ? { lastError: entry.lastError, failureKind: entry.failureKind ?? 'unknown' } : {}),
      ...(entry.sentAt ? { sentAt: entry.sentAt } : {}),
      ...(entry.messageId ? { messageId: entry.messageId } : {}),
    };
  }

  async claim(event: OrderCreated, context: { correlationId?: string; source?: EventSource }, owner: string, leaseMs: number): Promise<Claim> {
    const existing = this.entries.get(event.orderId);
    if (!existing) {
      const entry: Entry = { event, ...context, status: 'sending', attempts: 0, unknownOutcomes: 0 };
      this.entries.set(event.orderId, entry);
      return { claimed: true, job: this.take(entry, owner, leaseMs) };
    }
    if (this.isDue(existing)) return { claimed: true, job: this.take(existing, owner, leaseMs) };
    return { claimed: false, state: (await this.stateOf(event.orderId)) as NotificationState };
  }

  async claimDue(limit: number, owner: string, leaseMs: number): Promise<NotificationJob[]> {
    const due = [...this.entries.values()].filter((e) => this.isDue(e)).slice(0, limit);
    return due.map((entry) => this.take(entry, owner, leaseMs));
  }

  async renew(orderIds: readonly string[], owner: string, leaseMs: number): Promise<void> {
    for (const orderId of orderIds) {
      const entry = this.entries.get(orderId);
      if (entry?.status === 'sending' && entry.leaseOwner === owner) entry.leaseUntil = this.now() + leaseMs;
    }
  }

  async markSent(orderId: string, _owner: string, messageId: string): Promise<void> {
    const entry = this.entries.get(orderId);
    if (!entry || entry.status === 'sent') return;
    Object.assign(entry, { status: 'sent', messageId, sentAt: new Date(this.now()), lastError: undefined, failureKind: undefined, nextAttemptAt: undefined });
    this.releaseLease(entry);
  }

  async recordUnknownOutcome(orderId: string): Promise<void> {
    const entry = this.entries.get(orderId);
    if (entry) entry.unknownOutcomes += 1;
  }

  async markSkipped(orderId: string, owner: string, reason: NotificationFailure): Promise<void> {
    this.update(orderId, owner, { status: 'skipped', lastError: reason.error, failureKind: reason.kind });
  }

  async scheduleRetry(orderId: string, owner: string, plan: RetryPlan): Promise<void> {
    this.update(orderId, owner, { status: 'failed', attempts: plan.attempts, lastError: plan.error, failureKind: plan.kind, nextAttemptAt: plan.dueAt.getTime() }, true);
  }

  async release(orderId: string, owner: string, dueAt: Date, reason: NotificationFailure): Promise<void> {
    this.update(orderId, owner, { status: 'failed', nextAttemptAt: dueAt.getTime(), lastError: reason.error, failureKind: reason.kind });
  }

  async markDead(orderId: string, owner: string, failure: NotificationFailure & { attempts: number }): Promise<void> {
    this.update(orderId, owner, { status: 'dead', attempts: failure.attempts, lastError: failure.error, failureKind: failure.kind, nextAttemptAt: undefined }, true);
  }

  async resetDead(orderId: string): Promise<boolean> {
    const entry = this.entries.get(orderId);
    if (!entry || entry.status !== 'dead') return false;
    Object.assign(entry, { status: 'failed', attempts: 0, unknownOutcomes: 0, firstFailedAt: undefined, nextAttemptAt: this.now() });
    return true;
  }

  private isDue(entry: Entry): boolean {
    const now = this.now();
    return (
      (entry.status === 'sending' && (entry.leaseUntil ?? 0) < now) || (entry.status === 'failed' && (entry.nextAttemptAt ?? 0) <= now)
    );
  }

  private take(entry: Entry, owner: string, leaseMs: number): NotificationJob {
    Object.assign(entry, { status: 'sending', leaseOwner: owner, leaseUntil: this.now() + leaseMs });
    return {
      event: entry.event,
      attempts: entry.attempts,
      unknownOutcomes: entry.unknownOutcomes,
      ...(entry.correlationId ? { correlationId: entry.correlationId } : {}),
      ...(entry.source ? { source: entry.source } : {}),
      ...(entry.firstFailedAt ? { firstFailedAt: entry.firstFailedAt } : {}),
    };
  }

  private update(orderId: string, owner: string, changes: Partial<Entry>, failed = false): void {
    const entry = this.entries.get(orderId);
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
