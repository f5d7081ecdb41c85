import { PENDING, type NotificationState } from '../domain/notification.js';
import { OrderNotFoundError } from '../domain/errors.js';
import { Order } from '../domain/order.js';
import type { StatusChange } from '../domain/order-status.js';
import type { NotificationLedger } from './ports/notification-ledger.js';
import type { OrderRepository } from './ports/order-repository.js';

export interface OrderWithNotification {
  readonly order: Order;
  readonly notification: NotificationState;
  /** The accepted status changes, oldest first. */
  readonly statusHistory: readonly StatusChange[];
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
    const notification = (await this.ledger.stateOf(order.orderId)) ?? PENDING;
    const statusHistory = order.version === 1 ? [] : await this.orders.statusHistory(order.orderId);
    return { order, notification, statusHistory };
  }
}
