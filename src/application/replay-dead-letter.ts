import { OrderNotFoundError } from '../domain/errors.js';
import { Order } from '../domain/order.js';
import { keyOf, type NotificationChannel, type NotificationKey, type NotificationKind } from '../domain/notification.js';
import { deadLetterKey, isDeadEvent, type DeadLetter } from './ports/dead-letters.js';
import type { Logger } from './ports/logger.js';
import type { NotificationLedger } from './ports/notification-ledger.js';

export type ReplayOutcome = 'reset' | 'not-dead' | 'poison';

/** Gives a dead notification another try: the ledger puts it back in the notifier's retry queue. */
export class ReplayDeadLetter {
  constructor(
    private readonly ledger: NotificationLedger,
    private readonly logger: Logger,
  ) {}

  /**
   * Replays one dead notification by its key (the admin page's button): the order's confirmation email unless
   * `kind` and `channel` say otherwise; a webhook delivery names its endpoint.
   * @throws OrderNotFoundError for an id no order can have (a NUL, an unpaired surrogate...): never stored, never asked for.
   */
  async forOrder(rawOrderId: string, kind: NotificationKind = 'order-created', channel: NotificationChannel = 'email', endpointId?: string): Promise<ReplayOutcome> {
    if (!Order.isPossibleOrderId(rawOrderId)) throw new OrderNotFoundError(rawOrderId);
    const orderId = rawOrderId.trim();
    const reset = await this.ledger.resetDead({ orderId, kind, channel, ...(endpointId === undefined ? {} : { endpointId }) });
    this.logger
      .child({ orderId, notificationKind: kind, channel, ...(endpointId === undefined ? {} : { endpointId }) })
      .info(reset ? 'dead letter replayed: the notifier will send it again' : 'dead letter not replayed: the notification is not dead');
    return reset ? 'reset' : 'not-dead';
  }

  /** Replays a dead letter read back from where the dead letters are kept (dlq-replay). */
  async execute(letter: DeadLetter): Promise<ReplayOutcome> {
    const correlationId = isDeadEvent(letter) ? letter.metadata.correlationId : undefined;
    const notification = isDeadEvent(letter) ? letter.notification : undefined;
    const log = this.logger.child({ orderId: deadLetterKey(letter), ...(correlationId ? { correlationId } : {}) });
    if (!notification) {
      // Poison stays poison until the code that reads it changes; it is kept where it is for that day.
      log.warn(isDeadEvent(letter) ? 'dead letter not replayed: no notification of it was attempted' : 'dead letter not replayed: it is not a readable event', { reason: letter.reason });
      return 'poison';
    }
    const key: NotificationKey = keyOf(notification);
    const about = { notification: key.kind, channel: key.channel, ...(key.endpointId === undefined ? {} : { endpointId: key.endpointId }) };
    if (await this.ledger.resetDead(key)) {
      log.info('dead letter replayed: the notifier will send it again', about);
      return 'reset';
    }
    const state = await this.ledger.stateOf(key);
    log.info('dead letter not replayed: the notification is no longer dead', { ...about, status: state?.status ?? 'unknown' });
    return 'not-dead';
  }
}
