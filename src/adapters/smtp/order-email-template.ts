import type { OrderEmail } from '../../application/ports/mailer.js';

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/** One line, no control characters: safe in a header whatever the event carried. */
export function headerSafe(value: string, maxLength = 200): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, maxLength);
}

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

export function renderOrderEmail(email: OrderEmail): RenderedEmail {
  const created = new Date(email.createdAt).toUTCString();
  const subject = `Order ${subjectOrderId(email.orderId)} received`;
  const text = [
    `Thank you for your order ${email.orderId}.`,
    '',
    'Items:',
    ...email.itemIds.map((item) => `  - ${item}`),
    '',
    `Placed: ${created}`,
    `Reference: ${email.internalId}`,
    '',
    'We will let you know when it ships.',
  ].join('\n');
  const html = `<!doctype html>
<html><body style="font-family: system-ui, sans-serif; color: #1f2933; max-width: 560px">
<h1 style="font-size: 20px">Thank you for your order ${escapeHtml(email.orderId)}</h1>
<p>Items:</p>
<ul>${email.itemIds.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>
<p>Placed: ${escapeHtml(created)}<br>Reference: <code>${escapeHtml(email.internalId)}</code></p>
<p>We will let you know when it ships.</p>
</body></html>`;
  return { subject, text, html };
}
