import { ORDER_CREATED, type OrderCreated } from '../../domain/order-created.js';
import type { NotificationKind } from '../../domain/notification.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChanged } from '../../domain/order-status-changed.js';
import { orderCreatedEmail } from './order-created-email.js';
import { orderStatusEmail } from './order-status-email.js';
import { payloadOf, type NotificationTemplate } from './template.js';

/**
 * Which template renders which kind of notification: a new kind is a line here. A notification of a kind
 * without one is dead-lettered as poison, with the reason, and can be replayed once its template ships.
 */
/** Shipped, delivered and cancelled: one template, its wording chosen by the event's status. */
const statusEmail: NotificationTemplate = (notification, addressing) => orderStatusEmail(payloadOf<OrderStatusChanged>(notification.event, ORDER_STATUS_CHANGED), addressing);

export const TEMPLATES_BY_KIND: { readonly [K in NotificationKind]?: NotificationTemplate } = {
  'order-created': (notification, addressing) => orderCreatedEmail(payloadOf<OrderCreated>(notification.event, ORDER_CREATED), addressing),
  'order-shipped': statusEmail,
  'order-delivered': statusEmail,
  'order-cancelled': statusEmail,
};
