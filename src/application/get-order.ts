import { PENDING, type NotificationRecord, type NotificationState } from '../domain/notification.js';
import { OrderNotFoundError } from '../domain/errors.js';
import { Order } from '../domain/order.js';
import type { StatusChange } from '../domain/order-status.js';
import type { NotificationLedger } from './ports/notification-ledger.js';
import type { OrderRepository } from './ports/order-repository.js';

export interface OrderWithNotification {
  readonly order: Order;
  /** The order's confirmation email (what GET /orders showed before an order had several notifications). */
  readonly notification: NotificationState;
  /** The accepted status changes, oldest first. */
  readonly statusHistory: readonly StatusChange[];
  /** Every notification of the order, in the order of its events; the confirmation is pending until a notifier sees it. */
  readonly notifications: readonly NotificationRecord[];
}

export class GetOrder {
  constructor(
    private readonly orders: OrderRepository,
    private readonly ledger: NotificationLedger,
  ) {}

  /** @throws OrderNotFoundError */
  async execute(orderId: string): Promise<OrderWithNotification> {
    if (!Order.isPossibleOrderId(orderId)) throw new OrderNotFoundError(orderId);
    const order = await this.orders.findByOrderId(orderId.trim());
    if (order === null) throw new OrderNotFoundError(orderId);
    const recorded = await this.ledger.statesOf(order.orderId);
    const confirmation = recorded.find((n) => n.kind === 'order-created' && n.channel === 'email');
    const notification: NotificationState = confirmation ?? PENDING;
    // Every order gets a confirmation: one no notifier has seen yet is listed first, as pending.
    const notifications = confirmation ? recorded : [{ kind: 'order-created', channel: 'email', ...PENDING } as const, ...recorded];
    const statusHistory = order.version === 1 ? [] : await this.orders.statusHistory(order.orderId);
    return { order, notification, notifications, statusHistory };
  }
}
