import type { Notification, NotificationKind } from '../../domain/notification.js';
import { ORDER_CREATED, type OrderCreated } from '../../domain/order-created.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChanged } from '../../domain/order-status-changed.js';
import type { ChangeableStatus, TargetStatus } from '../../domain/order-status.js';
import type { EmailMessage } from '../ports/mailer.js';
import { headerSafe, subjectOrderId } from './email-text.js';
import { payloadOf, type Addressing } from './template.js';

/**
 * What an email may tell about its notification, read from the event it announces: the same whichever
 * template renders it. Values are as the event carries them (ISO dates, the items as a list); the
 * templates format them for the customer's locale.
 */
export interface EmailModel {
  readonly kind: NotificationKind;
  /** The order's locale, canonical BCP 47 (de-DE); absent: the shop's default. */
  readonly locale?: string;
  readonly order: {
    /** The shop's orderId, in full. */
    readonly id: string;
    /** The orderId as a subject shows it: one line, at most 64 characters, cut between graphemes. */
    readonly shortId: string;
    /** ordermail's id of the order (a UUID): what the customer quotes to support. */
    readonly reference: string;
    /** order-created: the items ordered. */
    readonly items?: readonly string[];
    /** order-created: when it was placed (ISO 8601). */
    readonly placedAt?: string;
  };
  /** A status change (shipped, delivered, cancelled): what changed, and what the shop said about it. */
  readonly change?: {
    readonly status: TargetStatus;
    readonly previousStatus: ChangeableStatus;
    /** ISO 8601. */
    readonly at: string;
    readonly carrier?: string;
    /** https only (the domain checked it), so safe as a link. */
    readonly trackingUrl?: string;
    readonly note?: string;
  };
}

/** What a template set made of a model: the words, and the language they are in. */
export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** The locale of the templates used (de for an order in de-DE when the shop has German templates): the Content-Language. */
  readonly language: string;
}

/**
 * The model of a notification's email. An event its kind does not announce is a bug of the reaction that
 * built the notification: thrown, so the notification is dead-lettered as poison.
 */
export function emailModelOf(notification: Notification): EmailModel {
  if (notification.kind === 'order-created') {
    const created = payloadOf<OrderCreated>(notification.event, ORDER_CREATED);
    return {
      kind: notification.kind,
      ...(created.locale === undefined ? {} : { locale: created.locale }),
      order: { id: created.orderId, shortId: subjectOrderId(created.orderId), reference: created.id, items: created.itemId, placedAt: created.createdAt },
    };
  }
  const change = payloadOf<OrderStatusChanged>(notification.event, ORDER_STATUS_CHANGED);
  return {
    kind: notification.kind,
    ...(change.locale === undefined ? {} : { locale: change.locale }),
    order: { id: change.orderId, shortId: subjectOrderId(change.orderId), reference: change.internalId },
    change: {
      status: change.status,
      previousStatus: change.previousStatus,
      at: change.changedAt,
      ...(change.carrier === undefined ? {} : { carrier: change.carrier }),
      ...(change.trackingUrl === undefined ? {} : { trackingUrl: change.trackingUrl }),
      ...(change.note === undefined ? {} : { note: change.note }),
    },
  };
}

/**
 * The email to send: the rendered words, addressed and made recognisable by the application whatever the
 * templates say. The subject is kept to one line (a line break a template left in it becomes a space); every
 * header value is header-safe.
 */
export function emailMessage(model: EmailModel, rendered: RenderedEmail, addressing: Addressing): EmailMessage {
  return {
    to: addressing.to,
    subject: headerSafe(rendered.subject, Number.POSITIVE_INFINITY),
    text: rendered.text,
    html: rendered.html,
    messageId: addressing.messageId,
    headers: {
      'X-Order-Id': headerSafe(model.order.id),
      ...(addressing.correlationId ? { 'X-Correlation-Id': headerSafe(addressing.correlationId) } : {}),
      'Content-Language': headerSafe(rendered.language),
    },
  };
}
