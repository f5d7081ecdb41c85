import type { OrderCreated } from '../../domain/order-created.js';
import type { EmailMessage } from '../ports/mailer.js';
import { escapeHtml, headerSafe } from './email-text.js';
import type { Addressing } from './template.js';

/** The most of an orderId a subject carries, in UTF-16 units (what ORDER_LIMITS counts in), the ellipsis included. */
export const SUBJECT_ORDER_ID_MAX_LENGTH = 64;
const ELLIPSIS = '…';
const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * The orderId as the subject shows it: header-safe, and a long one cut between two graphemes (never
 * inside an emoji, a surrogate pair or before a combining mark) and ended with an ellipsis.
 */
export function subjectOrderId(orderId: string): string {
  const safe = headerSafe(orderId, Number.POSITIVE_INFINITY);
  if (safe.length <= SUBJECT_ORDER_ID_MAX_LENGTH) return safe;
  let end = 0;
  for (const { index, segment } of GRAPHEMES.segment(safe)) {
    if (index + segment.length > SUBJECT_ORDER_ID_MAX_LENGTH - ELLIPSIS.length) break;
    end = index + segment.length;
  }
  return `${safe.slice(0, end)}${ELLIPSIS}`;
}

/** The confirmation email of a new order: what the customer is told, and how a copy of it is recognised. */
export function orderCreatedEmail(event: OrderCreated, addressing: Addressing): EmailMessage {
  const created = new Date(event.createdAt).toUTCString();
  const subject = `Order ${subjectOrderId(event.orderId)} received`;
  const text = [
    `Thank you for your order ${event.orderId}.`,
    '',
    'Items:',
    ...event.itemId.map((item) => `  - ${item}`),
    '',
    `Placed: ${created}`,
    `Reference: ${event.id}`,
    '',
    'We will let you know when it ships.',
  ].join('\n');
  const html = `<!doctype html>
<html><body style="font-family: system-ui, sans-serif; color: #1f2933; max-width: 560px">
<h1 style="font-size: 20px">Thank you for your order ${escapeHtml(event.orderId)}</h1>
<p>Items:</p>
<ul>${event.itemId.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>
<p>Placed: ${escapeHtml(created)}<br>Reference: <code>${escapeHtml(event.id)}</code></p>
<p>We will let you know when it ships.</p>
</body></html>`;
  return {
    to: addressing.to,
    subject,
    text,
    html,
    messageId: addressing.messageId,
    headers: {
      'X-Order-Id': headerSafe(event.orderId),
      ...(addressing.correlationId ? { 'X-Correlation-Id': headerSafe(addressing.correlationId) } : {}),
    },
  };
}
