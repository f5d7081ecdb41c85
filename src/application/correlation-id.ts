/**
 * A correlation id that is safe to echo in an HTTP header, an email header and a log line, and to store:
 * printable ASCII without spaces, at most 128 characters. Ids offered by callers or events are taken over
 * only when they match.
 */
export const CORRELATION_ID_PATTERN = '^[A-Za-z0-9._:@/+=-]{1,128}$';
