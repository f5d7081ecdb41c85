import { CORRELATION_ID_PATTERN } from '../../application/correlation-id.js';
import { ORDER_LIMITS, ORDER_RULES } from '../../domain/order.js';
import { ORDER_CREATED } from '../../domain/order-created.js';
import { LOCALE_RULES } from '../../domain/locale.js';

// What Date.prototype.toISOString writes, give or take the fraction: UTC only, no leap second (Date cannot read one).
/** The order's locale in an event: optional in version 1, so an event without it reads as before. */
export const EVENT_LOCALE = {
  type: 'string',
  minLength: 2,
  maxLength: LOCALE_RULES.maxLength,
  pattern: LOCALE_RULES.pattern,
  description:
    "The customer's language: a canonical BCP 47 tag (de-DE). Absent: the shop's DEFAULT_LOCALE. Added to version 1 as an optional field; a notifier of an earlier version refuses an event that has it (this schema had additionalProperties: false), so notifiers are upgraded before the api.",
} as const;

export const UTC_TIMESTAMP = '^\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,9})?Z$';
// No whitespace around it: the API trims an orderId before storing it.
export const TRIMMED = '^\\S(?:[\\s\\S]*\\S)?$';

/**
 * The `order-created` v1 event as JSON Schema, built from the order's own rules, so the notifier accepts
 * exactly what the API could have stored. `npm run schemas` writes it to schemas/order-created.v1.json.
 */
/**
 * The Kafka headers of one event kind, as JSON Schema: a wrong event-type, schema-version or content-type
 * makes the message poison; an invalid correlation-id is ignored. `eventType` says whether the header may be
 * absent (the topic's first kind) or must be there.
 */
export function eventHeadersSchema<T extends string, V extends number>(
  kind: { readonly type: T; readonly version: V },
  notes: { readonly handled: string; readonly eventType: { readonly description: string; readonly required?: true } },
) {
  return {
    description: `The Kafka headers, as UTF-8 strings. A message whose event-type, schema-version or content-type is wrong is poison; an invalid correlation-id is ignored (${notes.handled}).`,
    type: 'object',
    ...(notes.eventType.required ? { required: ['event-type'] } : {}),
    properties: {
      'event-type': { const: kind.type, description: notes.eventType.description },
      'schema-version': { const: String(kind.version), description: 'When absent, 1.' },
      'content-type': { const: 'application/json' },
      'correlation-id': { type: 'string', pattern: CORRELATION_ID_PATTERN, description: 'Printable ASCII without spaces, at most 128 characters.' },
    },
  } as const;
}

export const orderCreatedSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://ordermail.dev/schemas/order-created.v1.json',
  title: 'order-created, schema version 1',
  description:
    'The order.created event, published on the order-created topic when an order is accepted. Kafka key: orderId. Headers: see $defs/headers. Patterns are ECMAScript regular expressions with the u flag.',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'orderId', 'itemId', 'createdAt'],
  properties: {
    id: { type: 'string', pattern: ORDER_RULES.internalId.pattern, description: "The order's internal id: a UUID, 8-4-4-4-12 hex digits, nothing around it." },
    orderId: {
      type: 'string',
      minLength: 1,
      maxLength: ORDER_LIMITS.orderIdMaxLength,
      allOf: [{ pattern: ORDER_RULES.text.pattern }, { pattern: TRIMMED }],
      description: 'Trimmed, without control characters or unpaired surrogates.',
    },
    itemId: {
      type: 'array',
      minItems: ORDER_LIMITS.minItems,
      maxItems: ORDER_LIMITS.maxItems,
      items: { type: 'string', minLength: 1, maxLength: ORDER_LIMITS.itemIdMaxLength, pattern: ORDER_RULES.text.pattern },
    },
    email: { type: 'string', format: 'email', maxLength: ORDER_LIMITS.emailMaxLength, pattern: ORDER_RULES.email.pattern },
    locale: EVENT_LOCALE,
    createdAt: { type: 'string', format: 'date-time', pattern: UTC_TIMESTAMP, description: 'UTC, as 2026-11-24T12:00:00.000Z.' },
  },
  $defs: {
    headers: eventHeadersSchema(ORDER_CREATED, {
      handled: 'the order is still emailed',
      eventType: { description: 'When absent, the type the topic carries: order.created on the order-created topic.' },
    }),
  },
} as const;

export const ORDER_CREATED_HEADERS_SCHEMA_REF = `${orderCreatedSchema.$id}#/$defs/headers`;
