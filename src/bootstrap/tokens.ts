import type { Bind, BindWhenOnFluentSyntax } from 'inversify';
import type { Kafka } from 'kafkajs';
import type { SqlDatabase } from '../adapters/postgres/sql-database.js';
import type { PgOutbox } from '../adapters/postgres/pg-outbox.js';
import type { SmtpMailer } from '../adapters/smtp/smtp-mailer.js';
import type { ChangeOrderStatus } from '../application/change-order-status.js';
import type { CreateOrder } from '../application/create-order.js';
import type { GetOrder } from '../application/get-order.js';
import type { Clock } from '../application/ports/clock.js';
import type { EventPublisher } from '../application/ports/event-publisher.js';
import type { HealthCheck } from '../application/ports/health-check.js';
import type { IdGenerator } from '../application/ports/id-generator.js';
import type { Logger } from '../application/ports/logger.js';
import type { NotificationLedger } from '../application/ports/notification-ledger.js';
import type { OrderRepository } from '../application/ports/order-repository.js';
import type { Outbox } from '../application/ports/outbox.js';
import type { RateLimiter } from '../application/ports/rate-limiter.js';
import type { RecipientQuota } from '../application/ports/recipient-quota.js';
import type { LocalReceiver } from '../application/ports/local-receiver.js';
import type { SecretGenerator } from '../application/ports/secret-generator.js';
import type { WebhookEndpoints } from '../application/ports/webhook-endpoints.js';
import type { WebhookAddressCheck, WebhookSender } from '../application/ports/webhook-sender.js';
import type { Doorbell } from '../application/doorbell.js';
import type { Notify } from '../application/notify-every-channel.js';
import type { WebhookCircuits } from '../application/webhook-circuits.js';
import type { WebhookNotificationSender } from '../application/webhook-notification-sender.js';
import type { WebhookSubscribers } from '../application/webhook-subscribers.js';
import type { ListWebhookEndpoints } from '../application/list-webhook-endpoints.js';
import type { RegisterLocalReceiver } from '../application/register-local-receiver.js';
import type { RegisterWebhookEndpoint } from '../application/register-webhook-endpoint.js';
import type { RemoveWebhookEndpoint } from '../application/remove-webhook-endpoint.js';
import type { RotateWebhookSecret } from '../application/rotate-webhook-secret.js';
import type { SetWebhookEndpointEnabled } from '../application/set-webhook-endpoint-enabled.js';
import type { RelayOutbox } from '../application/relay-outbox.js';
import type { MailProviders } from '../application/mail-providers.js';
import type { NotificationSender } from '../application/notification-sender.js';
import type { NotificationsInFlight } from '../application/notifications-in-flight.js';
import type { SendNotification } from '../application/send-notification.js';
import type { SendDueNotifications } from '../application/send-due-notifications.js';
import type { RenewNotificationLeases } from '../application/renew-notification-leases.js';
import type { DispatchEvent } from '../application/dispatch-event.js';
import type { Gate } from '../application/gate.js';
import type { Reaction } from '../application/reaction.js';
import type { DeadLetters } from '../application/ports/dead-letters.js';
import type { EmailTemplates } from '../application/ports/email-templates.js';
import type { Metrics } from '../application/ports/metrics.js';
import type { KafkaEventPublisher } from '../adapters/kafka/kafka-event-publisher.js';
import type { KafkaEventConsumer } from '../adapters/kafka/kafka-event-consumer.js';
import type { EventCodecs } from '../adapters/kafka/event-codec.js';
import type { PrometheusMetrics } from '../adapters/metrics/prometheus-metrics.js';
import type { KafkaConsumerLag } from '../adapters/kafka/kafka-consumer-lag.js';
import type { InProcessEventChannel } from '../adapters/memory/in-process-event-channel.js';
import type { EmbeddedInbox } from '../adapters/smtp/embedded-inbox.js';
import type { AdminWebhookDeps } from '../adapters/http/admin-webhook-routes.js';
import type { Config } from './config.js';

/** A service identifier that remembers the type it stands for, so bindings and look-ups are typed. */
export type Token<T> = symbol & { readonly __type?: T };
const token = <T>(name: string): Token<T> => Symbol.for(`ordermail.${name}`) as Token<T>;

/** Every binding of `token` (none is fine), as one dependency. */
export function all<T>(token: Token<T>): Token<T[]> {
  return { serviceIdentifier: token, isMultiple: true, optional: true } as unknown as Token<T[]>;
}

/** The binding of `token`, or undefined when there is none. */
export function optional<T>(token: Token<T>): Token<T | undefined> {
  return { serviceIdentifier: token, optional: true } as unknown as Token<T | undefined>;
}

/** Binds `token` to a singleton built by `factory` from the typed `deps`. */
export function provide<R, Args extends unknown[]>(
  bind: Bind,
  token: Token<R>,
  deps: { [K in keyof Args]: Token<Args[K]> },
  factory: (...args: Args) => R | Promise<R>,
): BindWhenOnFluentSyntax<R> {
  return bind<R>(token)
    .toResolvedValue(factory as (...args: unknown[]) => R | Promise<R>, deps as never)
    .inSingletonScope();
}

/** Something a role runs until it is stopped (an HTTP server, a relay loop, a consumer). */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Stops taking new work and finishes what is in flight; gives up waiting at `deadline` (a Date.now() time). */
  stop(deadline: number): Promise<void>;
}

/** A one-shot job of a role (migrate, dlq-replay): the process exits when it is done. */
export interface Task {
  readonly name: string;
  run(): Promise<void>;
}

export const T = {
  Config: token<Config>('Config'),
  Logger: token<Logger>('Logger'),
  Database: token<SqlDatabase>('Database'),
  Kafka: token<Kafka>('Kafka'),
  /** What the use cases report (the port). */
  Metrics: token<Metrics>('Metrics'),
  /** The same metrics as a Prometheus registry: for /metrics and the gauges read when it is scraped. */
  MetricsRegistry: token<PrometheusMetrics>('MetricsRegistry'),
  Clock: token<Clock>('Clock'),
  IdGenerator: token<IdGenerator>('IdGenerator'),
  /** Random bytes for webhook endpoints' ids and signing secrets. */
  SecretGenerator: token<SecretGenerator>('SecretGenerator'),
  OrderRepository: token<OrderRepository>('OrderRepository'),
  Outbox: token<Outbox>('Outbox'),
  /** The outbox as bound, so that its LISTEN connection is closed on the way out. */
  PgOutbox: token<PgOutbox>('PgOutbox'),
  EventPublisher: token<EventPublisher>('EventPublisher'),
  KafkaPublisher: token<KafkaEventPublisher>('KafkaPublisher'),
  /** One mailer per SMTP provider, in order, as bound, so that their connection pools are closed on the way out. */
  SmtpMailers: token<SmtpMailer[]>('SmtpMailers'),
  /** The SMTP providers in the order they are tried, each with its mailer and circuit. */
  MailProviders: token<MailProviders>('MailProviders'),
  /** The email templates, compiled at start-up (a broken one stops it with exit 2). */
  EmailTemplates: token<EmailTemplates>('EmailTemplates'),
  DeadLetters: token<DeadLetters>('DeadLetters'),
  /** The notifications this process is sending now: shared by the three use cases below. */
  NotificationsInFlight: token<NotificationsInFlight>('NotificationsInFlight'),
  NotificationSender: token<NotificationSender>('NotificationSender'),
  SendNotification: token<SendNotification>('SendNotification'),
  SendDueNotifications: token<SendDueNotifications>('SendDueNotifications'),
  RenewNotificationLeases: token<RenewNotificationLeases>('RenewNotificationLeases'),
  /** Every reaction of the notifier, one binding each: the dispatch table's rows. */
  Reaction: token<Reaction>('Reaction'),
  DispatchEvent: token<DispatchEvent>('DispatchEvent'),
  /** Closed while the notifier cannot send: its consumer holds events back meanwhile. */
  NotifierGate: token<Gate>('NotifierGate'),
  EventCodecs: token<EventCodecs>('EventCodecs'),
  EventConsumer: token<KafkaEventConsumer>('EventConsumer'),
  /** The notifier group's lag on Kafka, per partition (the /metrics gauge) and in all (the admin page); the in-process channel is its own. */
  KafkaConsumerLag: token<KafkaConsumerLag>('KafkaConsumerLag'),
  Channel: token<InProcessEventChannel>('Channel'),
  Inbox: token<EmbeddedInbox>('Inbox'),
  /** SMTP_URL then SMTP_FALLBACK_URL, or the embedded inbox's one. */
  SmtpUrls: token<readonly string[]>('SmtpUrls'),
  NotificationLedger: token<NotificationLedger>('NotificationLedger'),
  CreateOrder: token<CreateOrder>('CreateOrder'),
  GetOrder: token<GetOrder>('GetOrder'),
  ChangeOrderStatus: token<ChangeOrderStatus>('ChangeOrderStatus'),
  /** Per-caller buckets for POST /orders; bound only while the limit is on. */
  OrderRateLimiter: token<RateLimiter>('OrderRateLimiter'),
  /** The notifier's cap per recipient per hour; bound only while the cap is on. */
  RecipientQuota: token<RecipientQuota>('RecipientQuota'),
  RelayOutbox: token<RelayOutbox>('RelayOutbox'),
  WebhookEndpoints: token<WebhookEndpoints>('WebhookEndpoints'),
  /** Where a URL may point, checked when an endpoint is registered (the sender checks again at each delivery). */
  WebhookAddressCheck: token<WebhookAddressCheck>('WebhookAddressCheck'),
  /** The development receiver (`npm run receiver`) on RECEIVER_PORT. */
  LocalReceiver: token<LocalReceiver>('LocalReceiver'),
  RegisterWebhookEndpoint: token<RegisterWebhookEndpoint>('RegisterWebhookEndpoint'),
  ListWebhookEndpoints: token<ListWebhookEndpoints>('ListWebhookEndpoints'),
  SetWebhookEndpointEnabled: token<SetWebhookEndpointEnabled>('SetWebhookEndpointEnabled'),
  RotateWebhookSecret: token<RotateWebhookSecret>('RotateWebhookSecret'),
  RemoveWebhookEndpoint: token<RemoveWebhookEndpoint>('RemoveWebhookEndpoint'),
  RegisterLocalReceiver: token<RegisterLocalReceiver>('RegisterLocalReceiver'),
  /** Posts signed deliveries (the notifier's). */
  WebhookSender: token<WebhookSender>('WebhookSender'),
  WebhookCircuits: token<WebhookCircuits>('WebhookCircuits'),
  /** The registry as the notifier reads it, remembered for a second. */
  WebhookSubscribers: token<WebhookSubscribers>('WebhookSubscribers'),
  WebhookNotificationSender: token<WebhookNotificationSender>('WebhookNotificationSender'),
  /** Rung when this process queued webhook deliveries: the dispatcher takes them at once. */
  WebhooksQueued: token<Doorbell>('WebhooksQueued'),
  /** Who holds this process's claims in the ledger: unique per process, shared by every use case that claims. */
  ClaimOwner: token<string>('ClaimOwner'),
  /** What the reactions hand their notification to: every channel. */
  Notify: token<Notify>('Notify'),
  /** The webhook use cases the admin API and page call. */
  AdminWebhooks: token<AdminWebhookDeps>('AdminWebhooks'),
  HealthCheck: token<HealthCheck>('HealthCheck'),
  Service: token<Service>('Service'),
  Task: token<Task>('Task'),
} as const;
