import { CONTROL_CODE_CLASS } from '../../domain/text-rules.js';

const CONTROL_CODES = new RegExp(`[${CONTROL_CODE_CLASS}]+`, 'g');

/** One line, no control characters: safe in a header whatever the event carried. */
export function headerSafe(value: string, maxLength = 200): string {
  return value.replace(CONTROL_CODES, ' ').trim().slice(0, maxLength);
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
