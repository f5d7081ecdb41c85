import { NOTIFICATION_CHANNELS, NOTIFICATION_FAILURE_KINDS, NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../../domain/notification.js';
import { ORDER_STATUSES } from '../../domain/order-status.js';
import { WEBHOOK_ENDPOINT_ID } from '../../domain/webhook-endpoint.js';
import { changeOrderStatusSchema, createOrderSchema } from './order-schemas.js';
import { MAX_BODY_BYTES, NOT_JSON_MESSAGE } from './json-body.js';

const { $id: _id, ...createOrderRequest } = createOrderSchema;
const { $id: _statusId, ...changeOrderStatusRequest } = changeOrderStatusSchema;

const error = (code: string, example: string) => ({
  description: example,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { success: false, error: { code, message: example } } } },
});

const unauthorized = {
  ...error('UNAUTHORIZED', 'An API key is required: send Authorization: Bearer <key>'),
  description: 'UNAUTHORIZED: the server has API keys and the request carries none of them',
  headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer realm="ordermail" (with error="invalid_token" for a wrong key)' } },
};
// The `{}` alternative: without API_KEYS the server asks for no key.
const security = [{ apiKey: [] }, {}];

/** The OpenAPI 3.1 description of the HTTP API, built from the very schemas the server validates with. */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'ordermail',
      version,
      description: 'Accepts orders and emails the customer about each one, exactly once.',
    },
    paths: {
      '/orders': {
        post: {
          operationId: 'createOrder',
          summary: 'Accept an order; its confirmation email follows asynchronously',
          security,
          parameters: [{ $ref: '#/components/parameters/CorrelationId' }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateOrderRequest' } } } },
          responses: {
            '202': {
              description: 'Accepted: stored with its order-created event',
              headers: {
                Location: { schema: { type: 'string' }, description: '/orders/{orderId}' },
                'X-Correlation-Id': { schema: { type: 'string' } },
              },
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['success', 'data', 'message'],
                    properties: { success: { const: true }, data: { $ref: '#/components/schemas/Order' }, message: { type: 'string' } },
                  },
                },
              },
            },
            '400': {
              description: 'VALIDATION_FAILED (details name every bad field) or INVALID_JSON',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
            '409': {
              description: 'ORDER_DUPLICATE: the orderId exists; data holds the existing order',
              content: {
                'application/json': {
                  schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { data: { $ref: '#/components/schemas/Order' } } }] },
                },
              },
            },
            '401': unauthorized,
            '429': {
              ...error('RATE_LIMITED', 'Too many requests from this client: retry in 2 s'),
              description: 'RATE_LIMITED: the caller (its API key, or its address) spent its bucket of orders',
              headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 }, description: 'Seconds until the bucket holds an order again' } },
            },
            '413': error('PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES} bytes`),
            '415': { ...error('UNSUPPORTED_MEDIA_TYPE', NOT_JSON_MESSAGE), description: `${NOT_JSON_MESSAGE}, in UTF-8 (a declared charset other than utf-8 is refused)` },
            '503': error('SERVICE_UNAVAILABLE', 'postgres is unavailable (with outcome "unknown" when the order may have been stored: retry it)'),
          },
        },
      },
      '/orders/{orderId}': {
        get: {
          operationId: 'getOrder',
          summary: 'An order and the state of its notifications',
          security,
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'The order',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      success: { const: true },
                      data: {
                        allOf: [
                          { $ref: '#/components/schemas/Order' },
                          {
                            type: 'object',
                            properties: {
                              email: {
                                type: 'string',
                                description: 'The customer\'s address: in full for a caller with an API key; otherwise masked, its first character, then •••, then @ and the domain (a•••@example.com; •••@example.com for a one-character local part)',
                                examples: ['a•••@example.com'],
                              },
                              status: { enum: [...ORDER_STATUSES] },
                              statusHistory: { $ref: '#/components/schemas/StatusHistory' },
                              notification: { $ref: '#/components/schemas/Notification', description: 'The order\'s confirmation email (also in notifications)' },
                              notifications: {
                                type: 'array',
                                description: 'Every notification of the order, in the order of its events',
                                items: {
                                  allOf: [
                                    {
                                      type: 'object',
                                      required: ['kind', 'channel'],
                                      properties: {
                                        kind: { enum: [...NOTIFICATION_KINDS] },
                                        channel: { enum: [...NOTIFICATION_CHANNELS] },
                                        endpointId: {
                                          type: 'string',
                                          pattern: WEBHOOK_ENDPOINT_ID.source,
                                          description: 'The webhook endpoint a webhook delivery goes to (channel webhook only; one entry per endpoint)',
                                        },
                                      },
                                    },
                                    { $ref: '#/components/schemas/Notification' },
                                  ],
                                },
                              },
                            },
                          },
                        ],
                      },
                    },
                  },
                },
              },
            },
            '401': unauthorized,
            '404': error('ORDER_NOT_FOUND', 'No order with orderId "A-1"'),
          },
        },
      },
      '/orders/{orderId}/status': {
        post: {
          operationId: 'changeOrderStatus',
          summary: 'Move an order to a new status; the customer\'s email follows asynchronously',
          security,
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }, { $ref: '#/components/parameters/CorrelationId' }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ChangeOrderStatusRequest' } } } },
          responses: {
            '202': { description: 'Accepted: the change is stored with its order-status-changed event', content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderStatusResponse' } } } },
            '200': { description: 'The order has this status already: nothing changed, no event', content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderStatusResponse' } } } },
            '400': {
              description: 'VALIDATION_FAILED (details name every bad field) or INVALID_JSON',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
            '401': unauthorized,
            '404': error('ORDER_NOT_FOUND', 'No order with orderId "A-1"'),
            '409': {
              description: 'INVALID_TRANSITION: the status cannot follow the current one, named in error.currentStatus (CONCURRENT_CHANGE: other changes kept winning the race; retry)',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Error' },
                  example: { success: false, error: { code: 'INVALID_TRANSITION', message: 'Order "A-1" is delivered: it cannot become cancelled', currentStatus: 'delivered' } },
                },
              },
            },
            '413': error('PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES} bytes`),
            '415': { ...error('UNSUPPORTED_MEDIA_TYPE', NOT_JSON_MESSAGE), description: `${NOT_JSON_MESSAGE}, in UTF-8 (a declared charset other than utf-8 is refused)` },
            '429': {
              ...error('RATE_LIMITED', 'Too many requests from this client: retry in 2 s'),
              description: 'RATE_LIMITED: the caller spent its bucket (the same bucket as POST /orders)',
              headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 }, description: 'Seconds until the bucket holds a request again' } },
            },
            '503': error('SERVICE_UNAVAILABLE', 'postgres is unavailable'),
          },
        },
      },
      '/health': { get: { operationId: 'health', summary: 'Liveness: 503 when a critical dependency fails', responses: { '200': { description: 'ok or degraded' }, '503': { description: 'fail' } } } },
      '/ready': { get: { operationId: 'ready', summary: 'Readiness: 503 naming the failing dependencies', responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
      '/metrics': { get: { operationId: 'metrics', summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'One of the keys in API_KEYS; required on the order routes only when the server has keys' },
      },
      parameters: {
        CorrelationId: { name: 'X-Correlation-Id', in: 'header', required: false, schema: { type: 'string', maxLength: 128 }, description: 'Echoed back; generated when absent' },
      },
      schemas: {
        CreateOrderRequest: createOrderRequest,
        ChangeOrderStatusRequest: changeOrderStatusRequest,
        StatusHistory: {
          type: 'array',
          description: 'Oldest first: created, then each accepted change',
          items: {
            type: 'object',
            required: ['status', 'at'],
            properties: {
              status: { enum: [...ORDER_STATUSES] },
              at: { type: 'string', format: 'date-time' },
              note: { type: 'string' },
              trackingUrl: { type: 'string', format: 'uri' },
              carrier: { type: 'string' },
            },
          },
        },
        OrderStatusResponse: {
          type: 'object',
          required: ['success', 'data', 'message'],
          properties: {
            success: { const: true },
            data: {
              type: 'object',
              required: ['orderId', 'internalId', 'status', 'version', 'statusHistory'],
              properties: {
                orderId: { type: 'string' },
                internalId: { type: 'string', format: 'uuid' },
                status: { enum: [...ORDER_STATUSES] },
                version: { type: 'integer', minimum: 1, description: '1 when created, one more with each accepted change' },
                statusHistory: { $ref: '#/components/schemas/StatusHistory' },
              },
            },
            message: { type: 'string' },
          },
        },
        Order: {
          type: 'object',
          required: ['internalId', 'orderId', 'itemId', 'createdAt'],
          properties: {
            internalId: { type: 'string', format: 'uuid' },
            orderId: { type: 'string' },
            itemId: { type: 'array', items: { type: 'string' } },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        Notification: {
          type: 'object',
          required: ['status', 'attempts'],
          properties: {
            status: {
              enum: [...NOTIFICATION_STATUSES],
              description: 'pending: not seen by a notifier yet, or waiting for an earlier notification of its order on the same channel (and webhook endpoint)',
            },
            attempts: { type: 'integer' },
            failureKind: {
              enum: [...NOTIFICATION_FAILURE_KINDS],
              description:
                'Why the email or webhook delivery did not go (yet), by kind only: the failure\'s text, which may name a mail server, an endpoint\'s address or a recipient, is for the logs and the admin page. unknown: recorded before kinds were.',
            },
            sentAt: { type: 'string', format: 'date-time' },
          },
        },
        Error: {
          type: 'object',
          required: ['success', 'error'],
          properties: {
            success: { const: false },
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
                correlationId: { type: 'string' },
                currentStatus: { enum: [...ORDER_STATUSES], description: 'On INVALID_TRANSITION: the status the order has.' },
                outcome: {
                  const: 'unknown',
                  description: 'On a 503 to POST /orders: the database went away after the order was sent to it, so it may be stored. Retry the same request: 202, or a 409 carrying the order, means it is stored.',
                },
              },
            },
          },
        },
      },
    },
  };
}
