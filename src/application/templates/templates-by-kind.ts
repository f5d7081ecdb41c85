import { ORDER_CREATED, type OrderCreated } from '../../domain/order-created.js';
import type { NotificationKind } from '../../domain/notification.js';
import { orderCreatedEmail } from './order-created-email.js';
import { payloadOf, type NotificationTemplate } from './template.js';

/**
 * Which template renders which kind of notification: a new kind is a line here. A notification of a kind
 * without one is dead-lettered as poison, with the reason, and can be replayed once its template ships.
 */
export const TEMPLATES_BY_KIND: { readonly [K in NotificationKind]?: NotificationTemplate } = {
  'order-created': (notification, addressing) => orderCreatedEmail(payloadOf<OrderCreated>(notification.event, ORDER_CREATED), addressing),
};
