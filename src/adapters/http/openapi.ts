import { LOCALE_RULES } from '../../domain/locale.js';
import { NOTIFICATION_CHANNELS, NOTIFICATION_FAILURE_KINDS, NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../../domain/notification.js';
import { ORDER_STATUSES } from '../../domain/order-status.js';
import { WEBHOOK_ENDPOINT_ID, WEBHOOK_EVENT_TYPE_LIST, WebhookEndpointNotFoundError, WebhookEndpointsFullError } from '../../domain/webhook-endpoint.js';
import { changeOrderStatusSchema, createOrderSchema } from './order-schemas.js';
import { MAX_BODY_BYTES, NOT_JSON_MESSAGE } from './json-body.js';
import { registerWebhookSchema } from './webhook-schemas.js';

const { $id: _id, ...createOrderRequest } = createOrderSchema;
const { $id: _statusId, ...changeOrderStatusRequest } = changeOrderStatusSchema;
const { $id: _webhookId, ...registerWebhookRequest } = registerWebhookSchema;

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

// The admin API: ADMIN_TOKEN as a bearer token, or the admin page's session cookie (with X-CSRF-Token on a POST or DELETE).
const adminSecurity = [{ adminToken: [] }, { adminSession: [] }];
const adminRefusals = {
  '401': {
    ...error('ADMIN_TOKEN_REQUIRED', 'Admin endpoints need the ADMIN_TOKEN: open /admin?token=<ADMIN_TOKEN> or send Authorization: Bearer <ADMIN_TOKEN>'),
    description: 'ADMIN_TOKEN_REQUIRED: neither the admin token nor a session; ADMIN_TOKEN_INVALID: a wrong token',
  },
  '403': {
    ...error('ADMIN_CSRF_TOKEN_INVALID', 'The X-CSRF-Token header is missing or not valid for this session'),
    description: 'On a session only: ADMIN_CROSS_ORIGIN (not from the admin page\'s own origin) or ADMIN_CSRF_TOKEN_INVALID',
  },
  '503': error('SERVICE_UNAVAILABLE', 'postgres is unavailable'),
};
const endpointNotFound = error('WEBHOOK_ENDPOINT_NOT_FOUND', new WebhookEndpointNotFoundError('ep_0123456789abcdef01234567').message);
const endpointIdParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: WEBHOOK_ENDPOINT_ID.source }, description: 'The endpoint\'s id: ep_ and 24 hex digits' };
const endpointAnswer = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object', required: ['endpoint'], properties: { endpoint: { $ref: '#/components/schemas/WebhookEndpoint' } } } } },
});
const endpointChange = (operationId: string, summary: string, answered: string) => ({
  post: { operationId, summary, tags: ['admin'], security: adminSecurity, parameters: [endpointIdParameter], responses: { '200': endpointAnswer(answered), '404': endpointNotFound, ...adminRefusals } },
});

const previewParameters = [
  { name: 'kind', in: 'path', required: true, schema: { enum: [...NOTIFICATION_KINDS] } },
  { name: 'lang', in: 'query', required: false, schema: { type: 'string', maxLength: LOCALE_RULES.maxLength, pattern: LOCALE_RULES.pattern }, description: 'A BCP 47 tag (de-DE); absent or empty: DEFAULT_LOCALE' },
];

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
      '/admin/api/webhooks': {
        get: {
          operationId: 'listWebhookEndpoints',
          summary: 'Every registered webhook endpoint, the oldest first, without its secrets',
          tags: ['admin'],
          security: adminSecurity,
          responses: {
            '200': {
              description: 'The endpoints',
              content: {
                'application/json': {
                  schema: { type: 'object', required: ['endpoints'], properties: { endpoints: { type: 'array', items: { $ref: '#/components/schemas/WebhookEndpoint' } } } },
                },
              },
            },
            ...adminRefusals,
          },
        },
        post: {
          operationId: 'registerWebhookEndpoint',
          summary: 'Register an endpoint for some event types; its signing secret is answered this once',
          tags: ['admin'],
          security: adminSecurity,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/RegisterWebhookRequest' } } } },
          responses: {
            '201': {
              description: 'Registered and enabled',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['endpoint', 'secret'],
                    properties: { endpoint: { $ref: '#/components/schemas/WebhookEndpoint' }, secret: { $ref: '#/components/schemas/WebhookSecret' } },
                  },
                },
              },
            },
            '400': {
              description: 'VALIDATION_FAILED (details name every bad field; url also when its host resolves to a private, loopback, link-local or metadata address, or does not resolve) or INVALID_JSON',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
            '409': error('WEBHOOK_ENDPOINTS_FULL', new WebhookEndpointsFullError().message),
            '413': error('PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES} bytes`),
            '415': { ...error('UNSUPPORTED_MEDIA_TYPE', NOT_JSON_MESSAGE), description: `${NOT_JSON_MESSAGE}, in UTF-8 (a declared charset other than utf-8 is refused)` },
            ...adminRefusals,
          },
        },
      },
      '/admin/api/webhooks/local-receiver': {
        post: {
          operationId: 'registerLocalReceiver',
          summary: 'Development only (WEBHOOK_ALLOW_INSECURE=true): register the local receiver (npm run receiver) for every event type and hand it the secret',
          description:
            'Registers http://127.0.0.1:<RECEIVER_PORT>/webhooks and posts { endpointId, secret } to http://127.0.0.1:<RECEIVER_PORT>/secrets. Registered already, it is enabled and gets a new secret, handed over the same way (200).',
          tags: ['admin'],
          security: adminSecurity,
          responses: {
            '201': { description: 'Registered', content: { 'application/json': { schema: { $ref: '#/components/schemas/LocalReceiverRegistration' } } } },
            '200': { description: 'Registered already: a new secret', content: { 'application/json': { schema: { $ref: '#/components/schemas/LocalReceiverRegistration' } } } },
            '404': error('NOT_FOUND', 'No route for POST /admin/api/webhooks/local-receiver: the local receiver is registered only when WEBHOOK_ALLOW_INSECURE=true'),
            '409': error('WEBHOOK_ENDPOINTS_FULL', new WebhookEndpointsFullError().message),
            ...adminRefusals,
          },
        },
      },
      '/admin/api/webhooks/{id}': {
        delete: {
          operationId: 'removeWebhookEndpoint',
          summary: 'Remove an endpoint; deliveries still queued for it are skipped',
          tags: ['admin'],
          security: adminSecurity,
          parameters: [endpointIdParameter],
          responses: { '204': { description: 'Removed' }, '404': endpointNotFound, ...adminRefusals },
        },
      },
      '/admin/api/webhooks/{id}/disable': endpointChange('disableWebhookEndpoint', 'Disable an endpoint: it receives nothing, deliveries queued for it are skipped', 'The endpoint, disabled'),
      '/admin/api/webhooks/{id}/enable': endpointChange('enableWebhookEndpoint', 'Enable an endpoint again', 'The endpoint, enabled'),
      '/admin/api/webhooks/{id}/rotate-secret': {
        post: {
          operationId: 'rotateWebhookSecret',
          summary: 'Give an endpoint a new signing secret; the previous one signs beside it for WEBHOOK_SECRET_GRACE_MS (24 h by default), one rotated out earlier stops',
          tags: ['admin'],
          security: adminSecurity,
          parameters: [endpointIdParameter],
          responses: {
            '200': {
              description: 'The new secret, answered this once',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['secret', 'previousSecretExpiresAt'],
                    properties: { secret: { $ref: '#/components/schemas/WebhookSecret' }, previousSecretExpiresAt: { type: 'string', format: 'date-time' } },
                  },
                },
              },
            },
            '404': endpointNotFound,
            ...adminRefusals,
          },
        },
      },
      '/admin/api/preview/{kind}': {
        get: {
          operationId: 'previewEmail',
          summary: 'The email of a kind for a sample order (A-1001), rendered by the templates the notifier uses (TEMPLATES_DIR, the SHOP_* brand); `npm run preview` writes the same to files',
          tags: ['admin'],
          security: adminSecurity,
          parameters: previewParameters,
          responses: {
            '200': {
              description: 'The rendered email',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['kind', 'language', 'subject', 'html', 'text'],
                    properties: {
                      kind: { enum: [...NOTIFICATION_KINDS] },
                      locale: { type: 'string', description: 'The language asked for, canonical; absent: DEFAULT_LOCALE' },
                      language: { type: 'string', description: 'The language of the templates that wrote it, after the fallbacks (de-DE → de → DEFAULT_LOCALE → en): its Content-Language' },
                      subject: { type: 'string' },
                      html: { type: 'string' },
                      text: { type: 'string' },
                    },
                  },
                },
              },
            },
            '400': { description: 'VALIDATION_FAILED: a kind the domain does not have, or a lang that is no BCP 47 tag', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
            '404': error('NOT_FOUND', 'No route for GET /admin/api/preview/order-created: this process has no email templates (an api without ADMIN_TOKEN)'),
            '422': error('EMAIL_RENDER_FAILED', 'the email template <file>:<line> failed: <the error the template threw on the sample order>'),
            ...adminRefusals,
          },
        },
      },
      '/admin/preview/{kind}': {
        get: {
          operationId: 'previewEmailHtml',
          summary: "The HTML of the same email as a document of its own, for the admin page's sandboxed frame (framed by this origin only, no script)",
          tags: ['admin'],
          security: adminSecurity,
          parameters: previewParameters,
          responses: { '200': { description: 'The email\'s HTML', content: { 'text/html': { schema: { type: 'string' } } } }, '400': { description: 'VALIDATION_FAILED, as above' }, '422': { description: 'EMAIL_RENDER_FAILED, as above' }, ...adminRefusals },
        },
      },
      '/health': { get: { operationId: 'health', summary: 'Liveness: 503 when a critical dependency fails', responses: { '200': { description: 'ok or degraded' }, '503': { description: 'fail' } } } },
      '/ready': { get: { operationId: 'ready', summary: 'Readiness: 503 naming the failing dependencies', responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
      '/metrics': { get: { operationId: 'metrics', summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'One of the keys in API_KEYS; required on the order routes only when the server has keys' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN; the admin API exists only when it is set' },
        adminSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'ordermail_admin',
          description: 'The admin page\'s session (from /admin?token=<ADMIN_TOKEN>); a POST or DELETE on it also needs X-CSRF-Token and the page\'s own origin',
        },
      },
      parameters: {
        CorrelationId: { name: 'X-Correlation-Id', in: 'header', required: false, schema: { type: 'string', maxLength: 128 }, description: 'Echoed back; generated when absent' },
      },
      schemas: {
        CreateOrderRequest: createOrderRequest,
        ChangeOrderStatusRequest: changeOrderStatusRequest,
        RegisterWebhookRequest: registerWebhookRequest,
        WebhookEndpoint: {
          type: 'object',
          required: ['id', 'url', 'events', 'enabled', 'createdAt'],
          properties: {
            id: { type: 'string', pattern: WEBHOOK_ENDPOINT_ID.source },
            url: { type: 'string' },
            events: { type: 'array', items: { enum: [...WEBHOOK_EVENT_TYPE_LIST] }, description: 'The event types it receives' },
            enabled: { type: 'boolean', description: 'A disabled endpoint receives nothing' },
            description: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            previousSecretExpiresAt: { type: 'string', format: 'date-time', description: 'Present while a rotated-out secret still signs beside the current one' },
          },
        },
        WebhookSecret: {
          type: 'string',
          pattern: '^whsec_[A-Za-z0-9+/]{43}=$',
          description: 'The Standard Webhooks form: whsec_ and the base64 of 32 random bytes. Deliveries carry webhook-id, webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256>)',
        },
        LocalReceiverRegistration: {
          type: 'object',
          required: ['endpoint', 'secret', 'created', 'receiverTookSecret', 'message'],
          properties: {
            endpoint: { $ref: '#/components/schemas/WebhookEndpoint' },
            secret: { $ref: '#/components/schemas/WebhookSecret' },
            created: { type: 'boolean', description: 'False: registered already, it got a new secret' },
            receiverTookSecret: { type: 'boolean', description: 'False when the receiver is not running (start it with npm run receiver, then ask again) or refused it' },
            message: { type: 'string' },
          },
        },
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
            locale: { type: 'string', description: "The customer's language, canonical BCP 47 (de-DE); absent when the order was placed without one (DEFAULT_LOCALE)" },
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
