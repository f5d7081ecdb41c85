import { type NotificationFailure, type NotificationKey, type NotificationKind } from '../domain/notification.js';
import { recipientKey } from '../domain/recipient.js';
import { describeRefusal } from './dispatch-event.js';
import { DependencyUnavailableError } from './errors.js';
import type { MailProvider, MailProviders, ProviderTrial } from './mail-providers.js';
import { DeadLetterNotification, untilRecorded } from './record-outcome.js';
import type { Clock } from './ports/clock.js';
import type { DeadLetterKind, DeadLetters } from './ports/dead-letters.js';
import type { EmailTemplates } from './ports/email-templates.js';
import type { Logger } from './ports/logger.js';
import { MailDeliveryError, type SentEmail } from './ports/mailer.js';
import { NO_METRICS, type Metrics, type NotificationResult } from './ports/metrics.js';
import type { NotificationJob, NotificationLedger } from './ports/notification-ledger.js';
import { quotaUnitOf, type RecipientQuota } from './ports/recipient-quota.js';
import type { NotificationsInFlight } from './notifications-in-flight.js';
import { notificationMessageId } from './templates/template.js';

export interface NotifyOptions {
  /** Retries after the first failed attempt; then the notification is dead-lettered. */
  readonly maxRetries: number;
  /** First retry delay; each further retry waits twice as long (1 s, 2 s, 4 s...). */
  readonly retryBaseMs: number;
  /** How long a claim holds before another notifier may take the notification over. */
  readonly leaseMs: number;
  /** Recipient for orders without an email address. */
  readonly defaultTo?: string;
  /** Who holds claims: unique per process. */
  readonly owner: string;
  /** The right-hand side of every Message-ID (the sender's domain); ordermail.local when unset. */
  readonly messageIdDomain?: string;
}

/**
 * How many sends of one notification may end in an unknown outcome (the connection lost after the final dot) before
 * it is dead-lettered instead of sent again: the server may have accepted each, so it bounds the copies too.
 */
const MAX_UNKNOWN_OUTCOMES = 2;

const DEFAULT_MESSAGE_ID_DOMAIN = 'ordermail.local';

/**
 * What every email of ours says about itself, whichever template wrote it: a machine sent it (RFC 3834), so
 * vacation replies and other auto-responders leave it alone. Said here, where the message is decided, not by the mailer.
 */
const TRANSACTIONAL_HEADERS = { 'Auto-Submitted': 'auto-generated' } as const;

/** `queued`: it waits behind an earlier notification of its order, in the ledger. */
export type NotifyOutcome = 'sent' | 'duplicate' | 'queued' | 'skipped' | 'retry-scheduled' | 'deferred' | 'dead-lettered';

const RESULT_OF: Record<NotifyOutcome, NotificationResult> = {
  sent: 'sent',
  duplicate: 'duplicate',
  queued: 'queued',
  skipped: 'skipped',
  'retry-scheduled': 'retried',
  deferred: 'deferred',
  'dead-lettered': 'dead_lettered',
};

/** The metric's name for an outcome. */
export const notificationResult = (outcome: NotifyOutcome): NotificationResult => RESULT_OF[outcome];

/** Who claims notifications, and for how long: what the use cases that claim share. */
export type ClaimOptions = Pick<NotifyOptions, 'owner' | 'leaseMs'>;

/**
 * Sends one claimed notification: renders it with the templates of its kind, and records what happened
 * (sent, skipped, a retry, a dead letter). Shared by the use cases that claim (SendNotification,
 * SendDueNotifications); whatever is redelivered, retried or crashed in between, an email goes once.
 */
export class NotificationSender {
  constructor(
    private readonly ledger: NotificationLedger,
    /** Where emails go: the first provider that takes mail, the same one for everything a send does. */
    private readonly providers: MailProviders,
    /** What the providers send: a template that fails on a notification makes it poison. */
    private readonly templates: EmailTemplates,
    deadLetters: DeadLetters,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly inFlight: NotificationsInFlight,
    private readonly options: NotifyOptions,
    private readonly metrics: Metrics = NO_METRICS,
    /** The per-recipient hourly cap; none = no cap. */
    private readonly recipientQuota?: RecipientQuota,
  ) {
    this.deadLetterer = new DeadLetterNotification(ledger, deadLetters, clock, metrics, options.owner);
  }

  private readonly deadLetterer: DeadLetterNotification;

  /**
   * Sends a claimed notification; a failure that is not a dependency being away dead-letters it, so the
   * ledger says dead. `trial`: the one send a provider's open circuit allows, through that provider.
   */
  async send(job: NotificationJob, trial?: ProviderTrial): Promise<NotifyOutcome> {
    const { notification } = job;
    this.inFlight.add(notification);
    try {
      return this.count(await this.tryToSend(job, trial), notification.kind);
    } catch (error) {
      if (error instanceof DependencyUnavailableError) throw error;
      const reason = describeRefusal(error, notification.event.type, this.logFor(notification, job.correlationId));
      await this.deadLetter(job, job.attempts + 1, { kind: 'poison', failure: { kind: 'poison', error: reason } });
      return this.count('dead-lettered', notification.kind);
    } finally {
      this.inFlight.delete(notification);
    }
  }

  /** Counts an outcome in the metrics, by the kind of notification. */
  count(outcome: NotifyOutcome, kind: NotificationKind): NotifyOutcome {
    this.metrics.notification(notificationResult(outcome), kind);
    return outcome;
  }

  private async tryToSend(job: NotificationJob, trial?: ProviderTrial): Promise<NotifyOutcome> {
    const { notification } = job;
    const log = this.logFor(notification, job.correlationId);
    if (!this.templates.renders(notification.kind)) {
      const error = `no template renders ${notification.kind} notifications: replay it once a version that has one is deployed`;
      await this.deadLetter(job, job.attempts + 1, { kind: 'poison', failure: { kind: 'poison', error } });
      return 'dead-lettered';
    }
    const to = notification.email ?? this.options.defaultTo;
    if (to === undefined) {
      await this.ledger.markSkipped(notification, this.options.owner, { kind: 'no-recipient', error: 'the order has no email and NOTIFY_DEFAULT_TO is not set' });
      log.warn('notification skipped: no recipient');
      return 'skipped';
    }
    // Reached only by a notifier that stopped between counting the last unknown outcome and its dead letter.
    if (job.unknownOutcomes >= MAX_UNKNOWN_OUTCOMES) return this.giveUpOnUnknownOutcomes(job, job.attempts);
    // Chosen once: the trip, the proof that sending works and the check of an outage all concern the provider tried.
    const provider = trial?.provider ?? this.providers.active();
    if (!provider) return this.defer(job, this.providers.whyNoneTakesMail());
    // The cap protects customers' mailboxes; NOTIFY_DEFAULT_TO is the shop's own, chosen by its operator.
    if (notification.email !== undefined && (await this.overRecipientCap(job, to, log))) return 'skipped';
    const rendered = this.templates.render(notification, {
      to,
      messageId: notificationMessageId(notification, this.options.messageIdDomain ?? DEFAULT_MESSAGE_ID_DOMAIN),
      ...(job.correlationId ? { correlationId: job.correlationId } : {}),
    });
    const email = { ...rendered, headers: { ...rendered.headers, ...TRANSACTIONAL_HEADERS } };
    const startedInGeneration = provider.circuit.generation;
    let sent: SentEmail;
    try {
      sent = await provider.mailer.send(email);
    } catch (error) {
      if (!(error instanceof MailDeliveryError)) throw error;
      this.metrics.smtpError(error.kind);
      return this.handleFailure(job, error, provider, startedInGeneration);
    }
    // From here the server has the email: nothing may turn this into a failure, or it would be sent again.
    provider.circuit.sendingWorks(startedInGeneration);
    await this.recordSent(notification, sent.messageId, provider.name, log);
    const latencyMs = this.clock.now().getTime() - Date.parse(notification.occurredAt);
    this.metrics.emailDelivered(latencyMs / 1000, notification.kind);
    this.metrics.emailSent(provider.label, notification.kind);
    log.info('email sent', { to, messageId: sent.messageId, provider: provider.name, attempt: job.attempts + 1, latencyMs });
    return 'sent';
  }

  /**
   * Takes the notification's unit of its recipient's hour (once per notification: a retry or a take-over
   * finds it held); over the cap, the notification is skipped and says why in the ledger, a metric and a warning. Never waits.
   */
  private async overRecipientCap(job: NotificationJob, to: string, log: Logger): Promise<boolean> {
    const quota = this.recipientQuota;
    if (!quota || (await quota.take(recipientKey(to), quotaUnitOf(job.notification)))) return false;
    const error = `this address already had ${quota.perHour} emails within the last hour (NOTIFY_MAX_PER_RECIPIENT_PER_HOUR)`;
    await this.ledger.markSkipped(job.notification, this.options.owner, { kind: 'recipient-rate-limited', error });
    this.metrics.recipientRateLimited();
    // The domain only: the whole address of a flooded mailbox would fill the logs.
    log.warn('notification skipped: the recipient reached its hourly cap', { perHour: quota.perHour, recipientDomain: to.slice(to.lastIndexOf('@') + 1).toLowerCase() });
    return true;
  }

  private async handleFailure(job: NotificationJob, error: MailDeliveryError, provider: MailProvider, startedInGeneration: number): Promise<NotifyOutcome> {
    const { notification } = job;
    const log = this.logFor(notification, job.correlationId);
    const unknownOutcomes = error.outcomeUnknown ? await this.countUnknownOutcome(job, error, log) : job.unknownOutcomes;
    const sendingStops = error.kind === 'auth' || error.kind === 'refused' || (error.kind === 'unavailable' && !(await this.serverAnswers(provider)));
    if (sendingStops) provider.circuit.trip(error);
    if (unknownOutcomes >= MAX_UNKNOWN_OUTCOMES) return this.giveUpOnUnknownOutcomes(job, job.attempts + 1);
    // Due again at once: the next provider that takes mail sends it, and none is asked while none does.
    if (sendingStops) return this.defer(job, { kind: error.failureKind, error: error.message });
    // A reply at RCPT TO or DATA means the server took our MAIL FROM: sending works, this email does not.
    if (error.responseCode !== undefined) provider.circuit.sendingWorks(startedInGeneration);
    // A dropped connection while the server still answers is this message's failure: it counts, like a 4xx.
    const attempts = job.attempts + 1;
    if (error.kind === 'permanent' || attempts > this.options.maxRetries) {
      await this.deadLetter(job, attempts, {
        kind: error.kind === 'permanent' ? 'permanent' : 'retries-exhausted',
        failure: { kind: error.failureKind, error: error.message },
        ...(error.responseCode === undefined ? {} : { responseCode: error.responseCode }),
      });
      return 'dead-lettered';
    }
    const delayMs = this.options.retryBaseMs * 2 ** (attempts - 1) * (0.8 + Math.random() * 0.4);
    await this.ledger.scheduleRetry(notification, this.options.owner, {
      attempts,
      kind: error.failureKind,
      error: error.message,
      dueAt: new Date(this.clock.now().getTime() + delayMs),
    });
    log.warn('email failed, retry scheduled', { kind: error.kind, responseCode: error.responseCode, error: error.message, attempt: attempts, retryInMs: Math.round(delayMs) });
    return 'retry-scheduled';
  }

  /** The documented duplicate window: the server may have the email. Counted in the ledger before any resend, so no restart forgets it. */
  private async countUnknownOutcome(job: NotificationJob, error: MailDeliveryError, log: Logger): Promise<number> {
    this.metrics.mailOutcomeUnknown();
    await untilRecorded(() => this.ledger.recordUnknownOutcome(job.notification), 'outcome unknown but the ledger is unreachable: retrying to record it', log, {});
    const unknownOutcomes = job.unknownOutcomes + 1;
    if (unknownOutcomes < MAX_UNKNOWN_OUTCOMES)
      log.warn('connection lost after the whole email was sent: the server may have it; sent once more at most, with the same Message-ID', { error: error.message, unknownOutcomes });
    return unknownOutcomes;
  }

  /** Every send allowed after an unknown outcome ended the same way: another could be one copy too many, a person decides. */
  private async giveUpOnUnknownOutcomes(job: NotificationJob, attempts: number): Promise<NotifyOutcome> {
    const reason =
      `the connection was lost after the final dot ${MAX_UNKNOWN_OUTCOMES} times: the server may have accepted the email ${MAX_UNKNOWN_OUTCOMES} times already, ` +
      'so it is not sent again; if the customer did not get it, replay it with dlq-replay';
    await this.deadLetter(job, attempts, { kind: 'outcome-unknown', failure: { kind: 'smtp-unreachable', error: reason } });
    return 'dead-lettered';
  }

  /** The server has the email: the ledger must learn it, and through which provider, or it is sent again once the claim lapses. */
  private recordSent(key: NotificationKey, messageId: string, provider: string, log: Logger): Promise<void> {
    return untilRecorded(() => this.ledger.markSent(key, this.options.owner, messageId, provider), 'email sent but the ledger is unreachable: retrying to record it', log, { messageId, provider });
  }

  /** Whether the provider's mail server answers now: it tells an outage from a connection lost for one message. */
  private async serverAnswers(provider: MailProvider): Promise<boolean> {
    if (provider.circuit.state.open) return false;
    try {
      await provider.mailer.verify();
      return true;
    } catch {
      return false;
    }
  }

  private async defer(job: NotificationJob, reason: NotificationFailure): Promise<NotifyOutcome> {
    await this.ledger.release(job.notification, this.options.owner, this.clock.now(), reason);
    return 'deferred';
  }

  private deadLetter(job: NotificationJob, attempts: number, failure: { kind: DeadLetterKind; failure: NotificationFailure; responseCode?: number }): Promise<void> {
    const { responseCode, ...letter } = failure;
    return this.deadLetterer.execute(job, attempts, { ...letter, details: { responseCode } }, this.logFor(job.notification, job.correlationId));
  }

  private logFor(key: NotificationKey, correlationId?: string): Logger {
    return this.logger.child({ orderId: key.orderId, notificationKind: key.kind, ...(correlationId ? { correlationId } : {}) });
  }
}
