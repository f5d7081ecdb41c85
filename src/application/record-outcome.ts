import { keyOf, type NotificationFailure } from '../domain/notification.js';
import { sleep } from './sleep.js';
import { DependencyUnavailableError } from './errors.js';
import type { Clock } from './ports/clock.js';
import type { DeadLetterKind, DeadLetters } from './ports/dead-letters.js';
import type { Logger } from './ports/logger.js';
import type { Metrics } from './ports/metrics.js';
import type { NotificationJob, NotificationLedger } from './ports/notification-ledger.js';

/**
 * Writes an outcome that already happened outside (an email accepted, a delivery answered 2xx, a dead letter
 * published). A database that is briefly away is waited for; only a crash leaves the documented window.
 */
export async function untilRecorded(write: () => Promise<void>, warning: string, log: Logger, details: Record<string, unknown>): Promise<void> {
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 2000)) {
    try {
      await write();
      return;
    } catch (error) {
      // What happened outside must be recorded whatever the failure: giving up would send it again.
      if (error instanceof DependencyUnavailableError) log.warn(warning, { ...details, retryInMs: delayMs });
      else log.error(`${warning} (not an outage: a bug?)`, { ...details, alert: true, retryInMs: delayMs, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      await sleep(delayMs);
    }
  }
}

/** What a notification's dead letter says, beside the job it is about. */
export interface DeadLetterFailure {
  readonly kind: DeadLetterKind;
  readonly failure: NotificationFailure;
  /** Said in the alert line (the SMTP reply code, the endpoint's status). */
  readonly details?: Record<string, unknown>;
}

/**
 * Dead-letters a claimed notification of any channel: publishes the letter with the notification's key, then
 * records it dead in the ledger (retried until it is, or it would be tried and dead-lettered again), counts
 * it and alerts.
 */
export class DeadLetterNotification {
  constructor(
    private readonly ledger: NotificationLedger,
    private readonly deadLetters: DeadLetters,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly owner: string,
  ) {}

  async execute(job: NotificationJob, attempts: number, { kind, failure, details }: DeadLetterFailure, log: Logger): Promise<void> {
    const now = this.clock.now();
    const reason = failure.error;
    const { notification } = job;
    await this.deadLetters.publish({
      event: notification.event,
      metadata: job.correlationId ? { correlationId: job.correlationId } : {},
      notification: keyOf(notification),
      reason,
      kind,
      attempts,
      firstFailedAt: job.firstFailedAt ?? now,
      lastFailedAt: now,
      ...(job.source ? { source: job.source } : {}),
    });
    // Published: the ledger must say so, or it would be retried (and dead-lettered again) after the lease.
    await untilRecorded(
      () => this.ledger.markDead(notification, this.owner, { ...failure, attempts }),
      'dead letter published but the ledger is unreachable: retrying to record it',
      log,
      { kind },
    );
    this.metrics.deadLettered(kind);
    log.error('notification dead-lettered', { alert: true, kind, ...details, reason, attempts });
  }
}
