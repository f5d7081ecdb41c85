import { CONTROL_CODE_CLASS } from '../../domain/text-rules.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

const CONTROL_CODES = new RegExp(`[${CONTROL_CODE_CLASS}]+`, 'g');

/** One line, no control characters: safe in a header whatever the event carried. */
export function headerSafe(value: string, maxLength = 200): string {
  return value.replace(CONTROL_CODES, ' ').trim().slice(0, maxLength);
}
