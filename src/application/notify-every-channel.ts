import type { Notification } from '../domain/notification.js';
import type { Doorbell } from './doorbell.js';
import type { NotificationLedger } from './ports/notification-ledger.js';
import type { Delivery } from './reaction.js';
import type { NotifyOutcome } from './notification-sender.js';
import type { SendNotification } from './send-notification.js';
import type { WebhookSubscribers } from './webhook-subscribers.js';

/** What a reaction hands its notification to: the customer's email, and whatever else announces it. */
export interface Notify {
  execute(notification: Notification, delivery: Delivery): Promise<NotifyOutcome>;
}

/**
 * Announces one notification on every channel: a webhook delivery for each enabled endpoint subscribed to its
 * kind, queued in the ledger (durable before the event is acknowledged; the webhook dispatcher delivers them,
 * so a slow endpoint never holds up the event stream), then the customer's email, sent now.
 * A redelivered event queues nothing twice and sends nothing twice.
 */
export class NotifyEveryChannel implements Notify {
  constructor(
    private readonly ledger: NotificationLedger,
    private readonly subscribers: WebhookSubscribers,
    private readonly sendEmail: SendNotification,
    /** Rung when deliveries were queued, so this process's dispatcher takes them at once. */
    private readonly webhooksQueued: Doorbell,
  ) {}

  async execute(email: Notification, delivery: Delivery): Promise<NotifyOutcome> {
    const endpoints = await this.subscribers.of(email.kind);
    if (endpoints.length > 0) {
      const { channel: _email, email: _address, ...announcement } = email;
      await this.ledger.enqueue(
        endpoints.map((endpoint) => ({ ...announcement, channel: 'webhook', endpointId: endpoint.id })),
        delivery,
      );
      this.webhooksQueued.ring();
    }
    return this.sendEmail.execute(email, delivery);
  }
}
