import { ContainerModule } from 'inversify';
import { HttpWebhookSender, webhookUserAgent } from '../../adapters/webhook/http-webhook-sender.js';
import { Doorbell } from '../../application/doorbell.js';
import { NotifyEveryChannel } from '../../application/notify-every-channel.js';
import { WebhookCircuits, WEBHOOK_CIRCUIT_DEFAULTS } from '../../application/webhook-circuits.js';
import { WEBHOOK_MAX_IN_FLIGHT, WebhookDispatcher } from '../../application/webhook-dispatcher.js';
import { WebhookNotificationSender } from '../../application/webhook-notification-sender.js';
import { WebhookSubscribers } from '../../application/webhook-subscribers.js';
import { PACKAGE_VERSION } from '../package-version.js';
import { provide, T } from '../tokens.js';

/**
 * The notifier's webhook channel: what queues a delivery for every subscribed endpoint (T.Notify, which the
 * reactions call), the HTTP sender, one circuit per endpoint, and the dispatcher that delivers. Loaded with
 * notifierModule, whose claim owner (T.ClaimOwner) and in-flight registry it shares.
 */
export function webhookDeliveryModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    let http: HttpWebhookSender | undefined;
    provide(bind, T.WebhookSender, [T.Config], (config) => {
      // The dispatcher limits how many go at once; the agent must never queue one behind its socket limit, where
      // the wait would count against the delivery's timeout (two endpoints may share a host).
      const sockets = 2 * WEBHOOK_MAX_IN_FLIGHT;
      http = new HttpWebhookSender({
        allowInsecure: config.webhooks.allowInsecure,
        timeoutMs: config.webhooks.timeoutMs,
        userAgent: webhookUserAgent(PACKAGE_VERSION),
        maxSockets: sockets,
        maxSocketsPerHost: sockets,
      });
      return http;
    }).onDeactivation(() => http?.close());
    provide(bind, T.WebhookCircuits, [T.Clock, T.Logger, T.Metrics], (clock, logger, metrics) =>
      new WebhookCircuits(clock, logger.child({ component: 'webhooks' }), WEBHOOK_CIRCUIT_DEFAULTS, metrics),
    );
    provide(bind, T.WebhookSubscribers, [T.WebhookEndpoints, T.Clock], (endpoints, clock) => new WebhookSubscribers(endpoints, clock));
    bind(T.WebhooksQueued).toConstantValue(new Doorbell());
    provide(
      bind,
      T.WebhookNotificationSender,
      [T.NotificationLedger, T.WebhookSubscribers, T.WebhookSender, T.DeadLetters, T.WebhookCircuits, T.Clock, T.Logger, T.NotificationsInFlight, T.Config, T.Metrics, T.ClaimOwner],
      (ledger, subscribers, sender, deadLetters, circuits, clock, logger, inFlight, config, metrics, owner) =>
        new WebhookNotificationSender(ledger, subscribers, sender, deadLetters, circuits, clock, logger.child({ component: 'webhooks' }), inFlight, {
          maxRetries: config.notifier.maxRetries,
          retryBaseMs: config.notifier.retryBaseMs,
          owner,
        }, metrics),
    );
    provide(bind, T.Notify, [T.NotificationLedger, T.WebhookSubscribers, T.SendNotification, T.WebhooksQueued], (ledger, subscribers, sendNotification, doorbell) =>
      new NotifyEveryChannel(ledger, subscribers, sendNotification, doorbell),
    );
    provide(
      bind,
      T.Service,
      [T.NotificationLedger, T.WebhookNotificationSender, T.WebhookCircuits, T.NotificationsInFlight, T.WebhooksQueued, T.Logger, T.Config, T.ClaimOwner],
      (ledger, sender, circuits, inFlight, doorbell, logger, config, owner) =>
        new WebhookDispatcher(ledger, sender, circuits, inFlight, doorbell, logger.child({ component: 'webhooks' }), { owner, leaseMs: config.notifier.leaseMs }),
    );
  });
}
