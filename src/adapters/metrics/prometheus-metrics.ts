import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CIRCUIT_OPENING_KINDS, MAIL_FAILURE_KINDS, type MailFailureKind } from '../../application/ports/mailer.js';
import { DEAD_LETTER_KINDS, type DeadLetterKind } from '../../application/ports/dead-letters.js';
import { providerLabel } from '../../application/mail-providers.js';
import { NOTIFICATION_RESULTS, type Metrics, type NotificationResult } from '../../application/ports/metrics.js';
import type { WebhookFailureKind } from '../../application/ports/webhook-sender.js';
import { NOTIFICATION_KINDS, type NotificationKind } from '../../domain/notification.js';

/** nodejs_eventloop_lag_*: the delay histogram's timer; lags shorter than this still show in min/mean/percentiles. */
const EVENT_LOOP_RESOLUTION_MS = 50;

export interface Sample {
  readonly labels?: Record<string, string | number>;
  readonly value: number;
}

/** The use cases' metrics, the HTTP request histogram and scrape-time gauges, in one Prometheus registry. */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly ordersCreated = new Counter({ name: 'ordermail_orders_created_total', help: 'Orders accepted (202)', registers: [this.registry] });
  private readonly relayDuration = new Histogram({
    name: 'ordermail_relay_publish_duration_seconds',
    help: 'Time to publish one outbox batch to Kafka',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  private readonly relayed = new Counter({ name: 'ordermail_relay_events_published_total', help: 'Outbox events published to Kafka', registers: [this.registry] });
  private readonly parked = new Counter({ name: 'ordermail_relay_events_parked_total', help: 'Outbox events the broker refused for good, parked', registers: [this.registry] });
  private readonly notifications = new Counter({
    name: 'ordermail_notifications_total',
    help: 'Notification outcomes by kind (order-created...): sent, duplicate, queued (behind an earlier one of its order), retried, dead_lettered, skipped, deferred',
    labelNames: ['result', 'kind'],
    registers: [this.registry],
  });
  private readonly deliveryLatency = new Histogram({
    name: 'ordermail_email_delivery_latency_seconds',
    help: 'From the event a notification announces (an order created...) to the SMTP server accepting its email, by kind',
    labelNames: ['kind'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly emailsSent = new Counter({
    name: 'ordermail_emails_sent_total',
    help: 'Emails an SMTP server accepted, by provider (primary, fallback-1…: its place in SMTP_URL + SMTP_FALLBACK_URL) and kind',
    labelNames: ['provider', 'kind'],
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'ordermail_webhook_deliveries_total',
    help: 'Webhook delivery outcomes by kind and endpoint: sent (2xx), retried, deferred (its circuit open), dead_lettered, skipped (endpoint disabled or deleted)',
    labelNames: ['result', 'kind', 'endpoint'],
    registers: [this.registry],
  });
  private readonly webhookLatency = new Histogram({
    name: 'ordermail_webhook_delivery_latency_seconds',
    help: 'From the event a webhook announces to its endpoint answering 2xx, by endpoint',
    labelNames: ['endpoint'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly webhookErrors = new Counter({
    name: 'ordermail_webhook_errors_total',
    help: 'Failed webhook requests by kind (unreachable, failed: 408/429/5xx, rejected, address-refused) and endpoint',
    labelNames: ['kind', 'endpoint'],
    registers: [this.registry],
  });
  private readonly webhookCircuits = new Counter({
    name: 'ordermail_webhook_circuit_opened_total',
    help: 'Times an endpoint went away (or asked us to slow down) and its deliveries were paused',
    labelNames: ['endpoint'],
    registers: [this.registry],
  });
  private readonly smtpErrors = new Counter({ name: 'ordermail_smtp_errors_total', help: 'SMTP failures by kind', labelNames: ['kind'], registers: [this.registry] });
  private readonly circuitOpened = new Counter({
    name: 'ordermail_smtp_circuit_opened_total',
    help: 'Times sending through a provider (primary, fallback-1…) stopped, by cause: unavailable, auth, refused (quota, 4xx/5xx at connect, greeting or MAIL FROM)',
    labelNames: ['kind', 'provider'],
    registers: [this.registry],
  });
  private readonly outcomeUnknown = new Counter({
    name: 'ordermail_smtp_outcome_unknown_total',
    help: 'Emails whose connection was lost after the final dot: the server may have them; sent once more with the same Message-ID, a second time dead-letters the order',
    registers: [this.registry],
  });
  private readonly recipientRateLimitedCount = new Counter({
    name: 'ordermail_recipient_rate_limited_total',
    help: 'Orders skipped because their recipient had NOTIFY_MAX_PER_RECIPIENT_PER_HOUR emails within the last hour (also in ordermail_notifications_total{result="skipped"})',
    registers: [this.registry],
  });
  private readonly deadLetters = new Counter({ name: 'ordermail_dead_letters_total', help: 'Messages sent to the dead-letter topic', labelNames: ['kind'], registers: [this.registry] });
  // Labelled only by the kinds a dispatch table declares ignored, so the series stay few.
  private readonly ignoredEvents = new Counter({
    name: 'ordermail_events_ignored_total',
    help: 'Events of a kind this process reads and deliberately does not react to: acknowledged, never dead-lettered',
    labelNames: ['event'],
    registers: [this.registry],
  });

  /** `smtpProviders`: how many SMTP providers this process has, so that each provider's series start at zero. */
  constructor(defaultLabels: Record<string, string> = {}, smtpProviders = 0) {
    this.registry.setDefaultLabels(defaultLabels);
    // prom-client reads its default metrics at scrape time; only the event-loop delay histogram runs between scrapes,
    // on a timer of this resolution: 10 ms (its default) woke an idle process 100 times a second.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
    // Start the series at zero so rate() and increase() see the first event.
    for (const result of NOTIFICATION_RESULTS) for (const kind of NOTIFICATION_KINDS) this.notifications.inc({ result, kind }, 0);
    for (const kind of MAIL_FAILURE_KINDS) this.smtpErrors.inc({ kind }, 0);
    for (const provider of Array.from({ length: smtpProviders }, (_, index) => providerLabel(index))) {
      for (const kind of CIRCUIT_OPENING_KINDS) this.circuitOpened.inc({ kind, provider }, 0);
      for (const kind of NOTIFICATION_KINDS) this.emailsSent.inc({ provider, kind }, 0);
    }
    for (const kind of DEAD_LETTER_KINDS) this.deadLetters.inc({ kind }, 0);
  }

  orderCreated(): void {
    this.ordersCreated.inc();
  }
  eventsRelayed(count: number, seconds: number): void {
    this.relayed.inc(count);
    this.relayDuration.observe(seconds);
  }
  eventParked(): void {
    this.parked.inc();
  }
  notification(result: NotificationResult, kind: NotificationKind): void {
    this.notifications.inc({ result, kind });
  }
  emailDelivered(latencySeconds: number, kind: NotificationKind): void {
    this.deliveryLatency.observe({ kind }, Math.max(0, latencySeconds));
  }
  smtpError(kind: MailFailureKind): void {
    this.smtpErrors.inc({ kind });
  }
  emailSent(provider: string, kind: NotificationKind): void {
    this.emailsSent.inc({ provider, kind });
  }
  mailCircuitOpened(kind: MailFailureKind, provider: string): void {
    this.circuitOpened.inc({ kind, provider });
  }
  mailOutcomeUnknown(): void {
    this.outcomeUnknown.inc();
  }
  deadLettered(kind: DeadLetterKind): void {
    this.deadLetters.inc({ kind });
  }
  recipientRateLimited(): void {
    this.recipientRateLimitedCount.inc();
  }
  webhook(result: NotificationResult, kind: NotificationKind, endpointId: string): void {
    this.webhooks.inc({ result, kind, endpoint: endpointId });
  }
  webhookDelivered(latencySeconds: number, endpointId: string): void {
    this.webhookLatency.observe({ endpoint: endpointId }, Math.max(0, latencySeconds));
  }
  webhookError(kind: WebhookFailureKind, endpointId: string): void {
    this.webhookErrors.inc({ kind, endpoint: endpointId });
  }
  webhookCircuitOpened(endpointId: string): void {
    this.webhookCircuits.inc({ endpoint: endpointId });
  }
  eventIgnored(kind: string): void {
    this.ignoredEvents.inc({ event: kind });
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** A gauge whose samples are read when Prometheus scrapes; a failing read leaves the series out. */
  gauge(name: string, help: string, labelNames: string[], read: () => Promise<Sample[]>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const sample of await read()) {
            if (sample.labels) this.set(sample.labels, sample.value);
            else this.set(sample.value);
          }
        } catch {
          // The dependency is down: its health gauge says so; no stale numbers here.
        }
      },
    });
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
