import type { Notification } from '../domain/notification.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChangedEvent } from '../domain/order-status-changed.js';
import type { Delivery, Reaction } from './reaction.js';
import type { Notify } from './notify-every-channel.js';

/** The customer's email about one status change of their order: `order-shipped`, `order-delivered` or `order-cancelled`. */
export function statusUpdate(event: OrderStatusChangedEvent): Notification {
  const { payload } = event;
  return {
    orderId: payload.orderId,
    kind: `order-${payload.status}`,
    channel: 'email',
    internalId: payload.internalId,
    ...(payload.email === undefined ? {} : { email: payload.email }),
    event,
    occurredAt: payload.changedAt,
  };
}

/** When an order ships, is delivered or is cancelled, its customer (and the endpoints subscribed to it) are told, once per status. */
export class SendStatusUpdateOnOrderStatusChanged implements Reaction<OrderStatusChangedEvent> {
  readonly handles = ORDER_STATUS_CHANGED;

  constructor(private readonly notify: Notify) {}

  async react(event: OrderStatusChangedEvent, delivery: Delivery): Promise<void> {
    await this.notify.execute(statusUpdate(event), delivery);
  }
}
