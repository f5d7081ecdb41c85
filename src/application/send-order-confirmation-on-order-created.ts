import { ORDER_CREATED, type OrderCreatedEvent } from '../domain/order-created.js';
import type { NotifyOrderCreated } from './notify-order-created.js';
import type { Delivery, Reaction } from './reaction.js';

/** When an order is created, the customer gets its confirmation email. */
export class SendOrderConfirmationOnOrderCreated implements Reaction<OrderCreatedEvent> {
  readonly handles = ORDER_CREATED;

  constructor(private readonly notify: NotifyOrderCreated) {}

  async react(event: OrderCreatedEvent, delivery: Delivery): Promise<void> {
    await this.notify.execute(event.payload, delivery);
  }
}
