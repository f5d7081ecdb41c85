import type { OrderStatusChanged } from '../../domain/order-status-changed.js';
import type { EmailMessage } from '../ports/mailer.js';
import { escapeHtml, headerSafe } from './email-text.js';
import { subjectOrderId } from './order-created-email.js';
import type { Addressing } from './template.js';

interface Wording {
  readonly subject: (orderId: string) => string;
  readonly heading: (orderId: string) => string;
  readonly closing: string;
}

const WORDING: Record<OrderStatusChanged['status'], Wording> = {
  shipped: {
    subject: (id) => `Order ${id} has shipped`,
    heading: (id) => `Your order ${id} is on its way`,
    closing: 'We will let you know when it arrives.',
  },
  delivered: {
    subject: (id) => `Order ${id} delivered`,
    heading: (id) => `Your order ${id} has been delivered`,
    closing: 'Thank you for shopping with us.',
  },
  cancelled: {
    subject: (id) => `Order ${id} cancelled`,
    heading: (id) => `Your order ${id} has been cancelled`,
    closing: 'If you did not expect this, reply to this email.',
  },
};

/**
 * The email announcing one status change of an order: shipped (with the carrier and the tracking link the
 * shop gave), delivered, cancelled. Every value from the event is escaped in the HTML and kept to one line
 * in headers; the tracking URL was checked as https by the domain, so it is safe as a link.
 */
export function orderStatusEmail(change: OrderStatusChanged, addressing: Addressing): EmailMessage {
  const wording = WORDING[change.status];
  const at = new Date(change.changedAt).toUTCString();
  const lines = [
    `${wording.heading(change.orderId)}.`,
    '',
    ...(change.carrier === undefined ? [] : [`Carrier: ${change.carrier}`]),
    ...(change.trackingUrl === undefined ? [] : [`Track it: ${change.trackingUrl}`]),
    ...(change.note === undefined ? [] : [`Note: ${change.note}`]),
    `Updated: ${at}`,
    `Reference: ${change.internalId}`,
    '',
    wording.closing,
  ];
  const html = `<!doctype html>
<html><body style="font-family: system-ui, sans-serif; color: #1f2933; max-width: 560px">
<h1 style="font-size: 20px">${escapeHtml(wording.heading(change.orderId))}</h1>
${change.carrier === undefined ? '' : `<p>Carrier: ${escapeHtml(change.carrier)}</p>`}
${change.trackingUrl === undefined ? '' : `<p><a href="${escapeHtml(change.trackingUrl)}">Track your parcel</a></p>`}
${change.note === undefined ? '' : `<p>${escapeHtml(change.note)}</p>`}
<p>Updated: ${escapeHtml(at)}<br>Reference: <code>${escapeHtml(change.internalId)}</code></p>
<p>${escapeHtml(wording.closing)}</p>
</body></html>`;
  return {
    to: addressing.to,
    subject: wording.subject(subjectOrderId(change.orderId)),
    text: lines.join('\n'),
    html,
    messageId: addressing.messageId,
    headers: {
      'X-Order-Id': headerSafe(change.orderId),
      ...(addressing.correlationId ? { 'X-Correlation-Id': headerSafe(addressing.correlationId) } : {}),
    },
  };
}
