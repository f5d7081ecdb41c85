import { ORDER_LIMITS, ORDER_RULES } from '../../domain/order.js';
import { CHANGEABLE_STATUSES, ORDER_TRANSITIONS, STATUS_CHANGE_LIMITS, STATUS_CHANGE_RULES, TARGET_STATUSES } from '../../domain/order-status.js';
import { ORDER_STATUS_CHANGED } from '../../domain/order-status-changed.js';
import { EVENT_LOCALE, eventHeadersSchema, TRIMMED, UTC_TIMESTAMP } from './order-created-schema.js';

/**
 * The `order-status-changed` v1 event as JSON Schema, built from the order's and the status change's own
 * rules (the allowed transitions included), so the notifier accepts exactly what the API could have
 * stored. `npm run schemas` writes it to schemas/order-status-changed.v1.json.
 */
export const orderStatusChangedSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://ordermail.dev/schemas/order-status-changed.v1.json',
  title: 'order-status-changed, schema version 1',
  description:
    'The order.status-changed event, published on the same topic as order.created when an order moves to another status. Kafka key: orderId (so the events of one order keep their order). Headers: see $defs/headers. Patterns are ECMAScript regular expressions with the u flag.',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'orderId', 'internalId', 'status', 'previousStatus', 'sequence', 'changedAt'],
  properties: {
    id: { type: 'string', pattern: ORDER_RULES.internalId.pattern, description: "The change's id (also its history entry's): a UUID, 8-4-4-4-12 hex digits." },
    orderId: {
      type: 'string',
      minLength: 1,
      maxLength: ORDER_LIMITS.orderIdMaxLength,
      allOf: [{ pattern: ORDER_RULES.text.pattern }, { pattern: TRIMMED }],
      description: 'Trimmed, without control characters or unpaired surrogates.',
    },
    internalId: { type: 'string', pattern: ORDER_RULES.internalId.pattern, description: "The order's internal id (order-created's id)." },
    status: { enum: [...TARGET_STATUSES] },
    previousStatus: { enum: [...CHANGEABLE_STATUSES] },
    sequence: { type: 'integer', minimum: 2, maximum: 2_147_483_647, description: "The order's version after the change: created = 1, first change = 2, ..." },
    changedAt: { type: 'string', format: 'date-time', pattern: UTC_TIMESTAMP, description: 'UTC, as 2026-11-24T12:00:00.000Z.' },
    email: { type: 'string', format: 'email', maxLength: ORDER_LIMITS.emailMaxLength, pattern: ORDER_RULES.email.pattern, description: "The order's customer address, when it has one." },
    locale: EVENT_LOCALE,
    note: { type: 'string', minLength: 1, maxLength: STATUS_CHANGE_LIMITS.noteMaxLength, allOf: [{ pattern: STATUS_CHANGE_RULES.text.pattern }, { pattern: TRIMMED }] },
    trackingUrl: { type: 'string', maxLength: STATUS_CHANGE_LIMITS.trackingUrlMaxLength, pattern: STATUS_CHANGE_RULES.trackingUrl.pattern, description: 'https only.' },
    carrier: { type: 'string', minLength: 1, maxLength: STATUS_CHANGE_LIMITS.carrierMaxLength, allOf: [{ pattern: STATUS_CHANGE_RULES.text.pattern }, { pattern: TRIMMED }] },
  },
  // The transition rule: which status may follow which previous one.
  allOf: CHANGEABLE_STATUSES.map((from) => ({
    if: { properties: { previousStatus: { const: from } } },
    then: { properties: { status: { enum: [...ORDER_TRANSITIONS[from]] } } },
  })),
  $defs: {
    headers: eventHeadersSchema(ORDER_STATUS_CHANGED, {
      handled: 'the event is still handled',
      eventType: { description: 'Required: the topic also carries order.created.', required: true },
    }),
  },
} as const;

export const ORDER_STATUS_CHANGED_HEADERS_SCHEMA_REF = `${orderStatusChangedSchema.$id}#/$defs/headers`;
