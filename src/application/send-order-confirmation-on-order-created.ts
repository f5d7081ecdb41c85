import type { Notification } from '../domain/notification.js';
import { ORDER_CREATED, type OrderCreatedEvent } from '../domain/order-created.js';
import type { Delivery, Reaction } from './reaction.js';
import type { Notify } from './notify-every-channel.js';

/** The confirmation of a new order, to its customer. */
export function orderConfirmation(event: OrderCreatedEvent): Notification {
  const { payload } = event;
  return {
    orderId: payload.orderId,
    kind: 'order-created',
    channel: 'email',
    internalId: payload.id,
    ...(payload.email === undefined ? {} : { email: payload.email }),
    event,
    occurredAt: payload.createdAt,
  };
}

/** When an order is created, the customer gets its confirmation email, and the endpoints subscribed to order.created a webhook. */
export class SendOrderConfirmationOnOrderCreated implements Reaction<OrderCreatedEvent> {
  readonly handles = ORDER_CREATED;

  constructor(private readonly notify: Notify) {}

  async react(event: OrderCreatedEvent, delivery: Delivery): Promise<void> {
    await this.notify.execute(orderConfirmation(event), delivery);
  }
}
