import type { Notification } from '../domain/notification.js';
import type { ClaimOptions, NotificationSender, NotifyOutcome } from './notification-sender.js';
import type { Logger } from './ports/logger.js';
import type { NotificationLedger } from './ports/notification-ledger.js';
import type { Delivery } from './reaction.js';

/**
 * Sends one notification built by a reaction: once, whatever is redelivered, retried or crashed in between.
 * One that has to wait behind an earlier notification of its order is queued in the ledger, and sent by
 * SendDueNotifications once that one is finished.
 */
export class SendNotification {
  constructor(
    private readonly ledger: NotificationLedger,
    private readonly sender: NotificationSender,
    private readonly logger: Logger,
    private readonly options: ClaimOptions,
  ) {}

  async execute(notification: Notification, delivery: Delivery): Promise<NotifyOutcome> {
    const claim = await this.ledger.claim(notification, delivery, this.options.owner, this.options.leaseMs);
    if (claim.claimed) return this.sender.send(claim.job);
    const log = this.logger.child({ orderId: notification.orderId, notificationKind: notification.kind, ...(delivery.correlationId ? { correlationId: delivery.correlationId } : {}) });
    if (claim.state.status === 'pending') {
      log.info('notification queued behind an earlier one of its order');
      return this.sender.count('queued', notification.kind);
    }
    log.info('notification already handled, not sending again', { status: claim.state.status });
    return this.sender.count('duplicate', notification.kind);
  }
}
