import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ContainerModule } from 'inversify';
import { DispatchEvent } from '../../application/dispatch-event.js';
import { IgnoreEvent } from '../../application/ignore-event.js';
import { NotificationSender } from '../../application/notification-sender.js';
import { NotificationsInFlight } from '../../application/notifications-in-flight.js';
import { RenewNotificationLeases } from '../../application/renew-notification-leases.js';
import { SendDueNotifications } from '../../application/send-due-notifications.js';
import { SendNotification } from '../../application/send-notification.js';
import { RejectPoison } from '../../application/reject-poison.js';
import { SendStatusUpdateOnOrderStatusChanged } from '../../application/send-status-update-on-order-status-changed.js';
import { SendOrderConfirmationOnOrderCreated } from '../../application/send-order-confirmation-on-order-created.js';
import type { EventKind } from '../../domain/domain-event.js';
import { messageIdDomainOf } from '../config.js';
import { all, optional, provide, T } from '../tokens.js';

/**
 * Kinds on the notifier's topics that it reads and deliberately does not react to (none yet): acknowledged
 * and counted, never dead-lettered. A kind neither here nor in a reaction is poison.
 */
const IGNORED_BY_THE_NOTIFIER: readonly EventKind[] = [];

/** The notifier's use cases, its reactions and their dispatch table (the sweeper that drives the due sends: retry-sweeper-module.ts). */
export function notifierModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    // Who holds this process's claims: unique per process, the same for every use case that claims.
    const claims = { owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}` };
    bind(T.ClaimOwner).toConstantValue(claims.owner);
    bind(T.NotificationsInFlight).toConstantValue(new NotificationsInFlight());
    provide(
      bind,
      T.NotificationSender,
      [T.NotificationLedger, T.MailProviders, T.EmailTemplates, T.DeadLetters, T.Clock, T.Logger, T.NotificationsInFlight, T.Config, T.Metrics, optional(T.RecipientQuota)],
      (ledger, providers, templates, deadLetters, clock, logger, inFlight, config, metrics, recipientQuota) =>
        new NotificationSender(
          ledger,
          providers,
          templates,
          deadLetters,
          clock,
          logger.child({ component: 'notifier' }),
          inFlight,
          {
            maxRetries: config.notifier.maxRetries,
            retryBaseMs: config.notifier.retryBaseMs,
            leaseMs: config.notifier.leaseMs,
            owner: claims.owner,
            messageIdDomain: messageIdDomainOf(config.smtp.from),
            ...(config.smtp.defaultTo ? { defaultTo: config.smtp.defaultTo } : {}),
          },
          metrics,
          recipientQuota,
        ),
    );
    provide(bind, T.SendNotification, [T.NotificationLedger, T.NotificationSender, T.Logger, T.Config], (ledger, sender, logger, config) =>
      new SendNotification(ledger, sender, logger.child({ component: 'notifier' }), { owner: claims.owner, leaseMs: config.notifier.leaseMs }),
    );
    provide(bind, T.SendDueNotifications, [T.NotificationLedger, T.NotificationSender, T.MailProviders, T.NotificationsInFlight, T.Config], (ledger, sender, providers, inFlight, config) =>
      new SendDueNotifications(ledger, sender, providers, inFlight, { owner: claims.owner, leaseMs: config.notifier.leaseMs }),
    );
    provide(bind, T.RenewNotificationLeases, [T.NotificationLedger, T.NotificationsInFlight, T.Config], (ledger, inFlight, config) =>
      new RenewNotificationLeases(ledger, inFlight, { owner: claims.owner, leaseMs: config.notifier.leaseMs }),
    );
    // The dispatch table: one row per reaction; a new reaction is a new file and a line here.
    // Each reaction hands its notification to every channel (webhook-delivery-module.ts: T.Notify).
    provide(bind, T.Reaction, [T.Notify], (notify) => new SendOrderConfirmationOnOrderCreated(notify));
    provide(bind, T.Reaction, [T.Notify], (notify) => new SendStatusUpdateOnOrderStatusChanged(notify));
    for (const kind of IGNORED_BY_THE_NOTIFIER)
      provide(bind, T.Reaction, [T.Logger, T.Metrics], (logger, metrics) => new IgnoreEvent(kind, logger.child({ component: 'notifier' }), metrics));
    provide(
      bind,
      T.DispatchEvent,
      [all(T.Reaction), T.DeadLetters, T.Clock, T.Logger, T.Metrics],
      (reactions, deadLetters, clock, logger, metrics) => {
        const log = logger.child({ component: 'notifier' });
        return new DispatchEvent(reactions, new RejectPoison(deadLetters, clock, log, metrics), log);
      },
    );
  });
}
