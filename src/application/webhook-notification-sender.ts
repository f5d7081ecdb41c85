import type { NotificationFailure } from '../domain/notification.js';
import { signingSecrets } from '../domain/webhook-endpoint.js';
import { describeRefusal } from './dispatch-event.js';
import { DependencyUnavailableError } from './errors.js';
import type { NotificationsInFlight } from './notifications-in-flight.js';
import type { Clock } from './ports/clock.js';
import type { DeadLetters } from './ports/dead-letters.js';
import type { Logger } from './ports/logger.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';
import type { NotificationJob, NotificationLedger } from './ports/notification-ledger.js';
import type { WebhookEndpointWithSecrets } from './ports/webhook-endpoints.js';
import { WebhookDeliveryError, type WebhookSender } from './ports/webhook-sender.js';
import { DeadLetterNotification, untilRecorded } from './record-outcome.js';
import { webhookBody, webhookMessageId } from './templates/webhook-payload.js';
import type { WebhookCircuits } from './webhook-circuits.js';
import { notificationResult, type NotifyOutcome } from './notification-sender.js';

export interface WebhookDeliveryOptions {
  /** Retries after the first failed attempt (1, 2, 4, 8, 16 s with the defaults); then the delivery is dead-lettered. */
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  /** Who holds claims: unique per process. */
  readonly owner: string;
}

/** Where a webhook endpoint is read from when a delivery goes: the registry, or a short-lived cache of it. */
export interface EndpointLookup {
  get(id: string): Promise<WebhookEndpointWithSecrets | null>;
}

/**
 * Delivers one claimed webhook notification to its endpoint, signed, and records what happened: delivered
 * (2xx), a retry (unreachable, 408, 429, 5xx; after Retry-After when it says so), paused while the endpoint's
 * circuit is open (no retry used), dead (another 4xx, a redirect, a forbidden address, every retry used), or
 * skipped (the endpoint was disabled or deleted). The `webhook-id` is the same on every attempt, so a receiver
 * that got a delivery whose answer was lost recognises the next one.
 */
export class WebhookNotificationSender {
  private readonly deadLetterer: DeadLetterNotification;

  constructor(
    private readonly ledger: NotificationLedger,
    private readonly endpoints: EndpointLookup,
    private readonly webhooks: WebhookSender,
    deadLetters: DeadLetters,
    private readonly circuits: WebhookCircuits,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly inFlight: NotificationsInFlight,
    private readonly options: WebhookDeliveryOptions,
    private readonly metrics: Metrics = NO_METRICS,
  ) {
    this.deadLetterer = new DeadLetterNotification(ledger, deadLetters, clock, metrics, options.owner);
  }

  async send(job: NotificationJob): Promise<NotifyOutcome> {
    const { notification } = job;
    const endpointId = notification.endpointId ?? '';
    const log = this.logFor(job);
    this.inFlight.add(notification);
    try {
      return this.count(await this.tryToSend(job, endpointId, log), job);
    } catch (error) {
      if (error instanceof DependencyUnavailableError) throw error;
      const reason = describeRefusal(error, notification.event.type, log);
      await this.deadLetterer.execute(job, job.attempts + 1, { kind: 'poison', failure: { kind: 'poison', error: reason } }, log);
      return this.count('dead-lettered', job);
    } finally {
      this.inFlight.delete(notification);
    }
  }

  private async tryToSend(job: NotificationJob, endpointId: string, log: Logger): Promise<NotifyOutcome> {
    const { notification } = job;
    const found = await this.endpoints.get(endpointId);
    if (!found?.endpoint.enabled) {
      const error = found ? 'the endpoint was disabled before this delivery went out' : 'the endpoint was deleted before this delivery went out';
      await this.ledger.markSkipped(notification, this.options.owner, { kind: 'endpoint-disabled', error });
      log.info('webhook delivery skipped', { reason: error });
      return 'skipped';
    }
    const id = webhookMessageId(notification);
    // Built before the circuit is asked: a notification no body describes is poison, and says nothing of the endpoint.
    const body = JSON.stringify(webhookBody(notification));
    const admission = this.circuits.admit(endpointId);
    if (!admission.allowed) return this.defer(job, admission.until, { kind: 'endpoint-unreachable', error: admission.reason });
    try {
      return await this.post(job, found, id, body, admission.trial !== undefined, log);
    } finally {
      // Whatever happened (an answer reported to the circuit already, a bug, the ledger away), the trial is over.
      admission.trial?.end();
    }
  }

  private async post(job: NotificationJob, found: WebhookEndpointWithSecrets, id: string, body: string, trial: boolean, log: Logger): Promise<NotifyOutcome> {
    const { notification } = job;
    const endpointId = found.endpoint.id;
    const now = this.clock.now();
    try {
      await this.webhooks.send({
        url: found.endpoint.url,
        id,
        timestamp: now,
        body,
        secrets: signingSecrets(found.secrets, now),
        ...(job.correlationId ? { headers: { 'x-correlation-id': job.correlationId } } : {}),
      });
    } catch (error) {
      if (!(error instanceof WebhookDeliveryError)) throw error;
      return this.handleFailure(job, endpointId, error, trial, log);
    }
    // From here the endpoint has it: nothing may turn this into a failure, or it would be delivered again.
    this.circuits.reachable(endpointId);
    await untilRecorded(() => this.ledger.markSent(notification, this.options.owner, id), 'webhook delivered but the ledger is unreachable: retrying to record it', log, { webhookId: id });
    const latencyMs = this.clock.now().getTime() - Date.parse(notification.occurredAt);
    this.metrics.webhookDelivered(latencyMs / 1000, endpointId);
    log.info('webhook delivered', { webhookId: id, attempt: job.attempts + 1, latencyMs });
    return 'sent';
  }

  private async handleFailure(job: NotificationJob, endpointId: string, error: WebhookDeliveryError, trial: boolean, log: Logger): Promise<NotifyOutcome> {
    this.metrics.webhookError(error.kind, endpointId);
    const failure = { kind: error.failureKind, error: error.message };
    const details = error.status === undefined ? {} : { status: error.status };
    if (error.kind === 'rejected' && error.status === undefined) {
      // Refused before anything went out (a body over the bound, a secret or header the sender cannot use): ours, a bug.
      const reason = describeRefusal(error, job.notification.event.type, log);
      await this.deadLetterer.execute(job, job.attempts + 1, { kind: 'poison', failure: { kind: 'poison', error: reason } }, log);
      return 'dead-lettered';
    }
    if (error.kind === 'rejected' || error.kind === 'address-refused') {
      // An answer about this delivery: the endpoint is there.
      if (error.kind === 'rejected') this.circuits.reachable(endpointId);
      await this.deadLetterer.execute(job, job.attempts + 1, { kind: 'permanent', failure, details }, log);
      return 'dead-lettered';
    }
    // Unreachable, or 408/429/5xx: the endpoint is away or overloaded. While its circuit is open, that uses no retry.
    if (this.circuits.failed(endpointId, error, trial)) return this.defer(job, this.circuits.openUntil(endpointId), failure);
    const attempts = job.attempts + 1;
    if (attempts > this.options.maxRetries) {
      await this.deadLetterer.execute(job, attempts, { kind: 'retries-exhausted', failure, details }, log);
      return 'dead-lettered';
    }
    const backoffMs = this.options.retryBaseMs * 2 ** (attempts - 1) * (0.8 + Math.random() * 0.4);
    const delayMs = Math.max(backoffMs, error.retryAfterMs ?? 0);
    await this.ledger.scheduleRetry(job.notification, this.options.owner, { attempts, ...failure, dueAt: new Date(this.clock.now().getTime() + delayMs) });
    log.warn('webhook delivery failed, retry scheduled', { kind: error.kind, ...details, error: error.message, attempt: attempts, retryInMs: Math.round(delayMs) });
    return 'retry-scheduled';
  }

  /** Gives the delivery back without using a retry: its endpoint's circuit is open. */
  private async defer(job: NotificationJob, until: Date, reason: NotificationFailure): Promise<NotifyOutcome> {
    await this.ledger.release(job.notification, this.options.owner, until, reason);
    return 'deferred';
  }

  private count(outcome: NotifyOutcome, job: NotificationJob): NotifyOutcome {
    this.metrics.webhook(notificationResult(outcome), job.notification.kind, job.notification.endpointId ?? '');
    return outcome;
  }

  private logFor(job: NotificationJob): Logger {
    const { notification } = job;
    return this.logger.child({
      orderId: notification.orderId,
      notificationKind: notification.kind,
      channel: 'webhook',
      endpointId: notification.endpointId,
      ...(job.correlationId ? { correlationId: job.correlationId } : {}),
    });
  }
}
