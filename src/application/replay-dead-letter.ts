import { OrderNotFoundError } from '../domain/errors.js';
import { Order } from '../domain/order.js';
import type { NotificationKey, NotificationKind } from '../domain/notification.js';
import type { OrderCreated } from '../domain/order-created.js';
import type { Logger } from './ports/logger.js';
import type { NotificationLedger } from './ports/notification-ledger.js';

export interface StoredDeadLetter {
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  /** The event, when the dead letter holds a valid one; absent for poison. */
  readonly event?: OrderCreated;
}

export type ReplayOutcome = 'reset' | 'not-dead' | 'poison';

/** Gives a dead-lettered notification another try: the ledger puts it back in the notifier's retry queue. */
export class ReplayDeadLetter {
  constructor(
    private readonly ledger: NotificationLedger,
    private readonly logger: Logger,
  ) {}

  /**
   * Replays a dead notification of an order by the order's id (the admin page's button): its confirmation unless `kind` says otherwise.
   * @throws OrderNotFoundError for an id no order can have (a NUL, an unpaired surrogate...): never stored, never asked for.
   */
  async forOrder(rawOrderId: string, kind: NotificationKind = 'order-created'): Promise<ReplayOutcome> {
    if (!Order.isPossibleOrderId(rawOrderId)) throw new OrderNotFoundError(rawOrderId);
    const orderId = rawOrderId.trim();
    const reset = await this.ledger.resetDead({ orderId, kind, channel: 'email' });
    this.logger.child({ orderId, notificationKind: kind }).info(reset ? 'dead letter replayed: the notifier will send it again' : 'dead letter not replayed: the order is not dead');
    return reset ? 'reset' : 'not-dead';
  }

  async execute(letter: StoredDeadLetter): Promise<ReplayOutcome> {
    const correlationId = letter.headers['correlation-id'];
    const log = this.logger.child({ orderId: letter.event?.orderId ?? letter.key, ...(correlationId ? { correlationId } : {}) });
    if (!letter.event) {
      // Poison stays poison until the code that reads it changes; it is kept in the topic for that day.
      log.warn('dead letter not replayed: it is not a valid order-created event', { reason: letter.headers['dlq-reason'] });
      return 'poison';
    }
    // The dead letters of this version are order-created events: their notification is the confirmation email.
    const key: NotificationKey = { orderId: letter.event.orderId, kind: 'order-created', channel: 'email' };
    if (await this.ledger.resetDead(key)) {
      log.info('dead letter replayed: the notifier will send it again');
      return 'reset';
    }
    const state = await this.ledger.stateOf(key);
    log.info('dead letter not replayed: the order is no longer dead', { status: state?.status ?? 'unknown' });
    return 'not-dead';
  }
}
