import { LOCALE_RULES } from '../../domain/locale.js';
import { ORDER_LIMITS } from '../../domain/order.js';
import { ORDER_STATUSES, STATUS_CHANGE_LIMITS } from '../../domain/order-status.js';
import { WEBHOOK_EVENT_TYPE_LIST } from '../../domain/webhook-endpoint.js';

/**
 * The body of a webhook delivery as JSON Schema, for the shop's receivers: `npm run schemas` writes it to
 * schemas/webhook-event.v1.json, and a test checks every body ordermail builds against it. A change that a
 * receiver of v1 could not read is a new file (v2), never an edit of this one.
 */
export const webhookEventSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://ordermail.dev/schemas/webhook-event.v1.json',
  title: 'webhook event, schema version 1',
  description:
    'The JSON body of a webhook delivery (Standard Webhooks). Headers: webhook-id (the same on every attempt and for every endpoint: deduplicate by it), webhook-timestamp (unix seconds of the attempt), webhook-signature (v1,<base64 HMAC-SHA256> for each signing secret, space-separated). Receivers should accept properties they do not know: new optional ones may be added to version 1.',
  type: 'object',
  required: ['type', 'timestamp', 'data'],
  properties: {
    type: { enum: [...WEBHOOK_EVENT_TYPE_LIST], description: 'What happened to the order.' },
    timestamp: { type: 'string', format: 'date-time', description: 'When it happened (ISO 8601, UTC).' },
    data: {
      type: 'object',
      required: ['orderId', 'internalId', 'status', 'occurredAt'],
      properties: {
        orderId: { type: 'string', minLength: 1, maxLength: ORDER_LIMITS.orderIdMaxLength, description: "The shop's order id." },
        internalId: { type: 'string', format: 'uuid', description: "ordermail's id of the order." },
        status: { enum: [...ORDER_STATUSES], description: 'The status after the event: created for order.created.' },
        occurredAt: { type: 'string', format: 'date-time' },
        email: { type: 'string', format: 'email', maxLength: ORDER_LIMITS.emailMaxLength, description: "The customer's address, when the order has one." },
        locale: { type: 'string', maxLength: LOCALE_RULES.maxLength, description: "The customer's language (BCP 47, canonical: de-DE), when the order has one." },
        itemIds: {
          type: 'array',
          minItems: ORDER_LIMITS.minItems,
          maxItems: ORDER_LIMITS.maxItems,
          items: { type: 'string', minLength: 1, maxLength: ORDER_LIMITS.itemIdMaxLength },
          description: 'order.created only.',
        },
        previousStatus: { enum: [...ORDER_STATUSES], description: 'Status changes only.' },
        note: { type: 'string', maxLength: STATUS_CHANGE_LIMITS.noteMaxLength },
        trackingUrl: { type: 'string', format: 'uri', maxLength: STATUS_CHANGE_LIMITS.trackingUrlMaxLength, description: 'https only.' },
        carrier: { type: 'string', maxLength: STATUS_CHANGE_LIMITS.carrierMaxLength },
      },
    },
  },
} as const;
