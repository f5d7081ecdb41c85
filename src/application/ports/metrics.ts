import type { NotificationKind } from '../../domain/notification.js';
import type { DeadLetterKind } from './dead-letters.js';
import type { MailFailureKind } from './mailer.js';
import type { WebhookFailureKind } from './webhook-sender.js';

export const NOTIFICATION_RESULTS = ['sent', 'duplicate', 'queued', 'retried', 'dead_lettered', 'skipped', 'deferred'] as const;
export type NotificationResult = (typeof NOTIFICATION_RESULTS)[number];

/** What the use cases report about themselves; an adapter turns it into time series. */
export interface Metrics {
  orderCreated(): void;
  eventsRelayed(count: number, seconds: number): void;
  /** An outbox event the broker refused for good. */
  eventParked(): void;
  notification(result: NotificationResult, kind: NotificationKind): void;
  /** From the event the notification announces (the order's creation...) to the SMTP server's acceptance. */
  emailDelivered(latencySeconds: number, kind: NotificationKind): void;
  smtpError(kind: MailFailureKind): void;
  /** An email the SMTP server accepted, by the provider that took it (`primary`, `fallback-1`…) and the notification's kind. */
  emailSent(provider: string, kind: NotificationKind): void;
  /** Sending through a provider stopped: its server is unreachable, refuses our credentials or refuses mail from us. */
  mailCircuitOpened(kind: MailFailureKind, provider: string): void;
  /** The connection was lost after the final dot: the server may have the email, which is sent once more at most. */
  mailOutcomeUnknown(): void;
  deadLettered(kind: DeadLetterKind): void;
  /** An event of a kind this process reads and deliberately does not react to (`order.created@1`): acknowledged, not dead-lettered. */
  eventIgnored(kind: string): void;
  /** A notification skipped because its recipient had NOTIFY_MAX_PER_RECIPIENT_PER_HOUR emails within the hour (also counted as `skipped`). */
  recipientRateLimited(): void;
  /** What became of a webhook delivery, by kind and endpoint (`ep_…`; at most WEBHOOK_ENDPOINTS_MAX of them). */
  webhook(result: NotificationResult, kind: NotificationKind, endpointId: string): void;
  /** From the event to the endpoint's 2xx. */
  webhookDelivered(latencySeconds: number, endpointId: string): void;
  webhookError(kind: WebhookFailureKind, endpointId: string): void;
  /** An endpoint went away (or asked us to slow down): its deliveries are paused, one at a time tries again. */
  webhookCircuitOpened(endpointId: string): void;
}

export const NO_METRICS: Metrics = {
  orderCreated: () => undefined,
  eventsRelayed: () => undefined,
  eventParked: () => undefined,
  notification: () => undefined,
  emailDelivered: () => undefined,
  emailSent: () => undefined,
  smtpError: () => undefined,
  mailCircuitOpened: () => undefined,
  mailOutcomeUnknown: () => undefined,
  deadLettered: () => undefined,
  eventIgnored: () => undefined,
  recipientRateLimited: () => undefined,
  webhook: () => undefined,
  webhookDelivered: () => undefined,
  webhookError: () => undefined,
  webhookCircuitOpened: () => undefined,
};
