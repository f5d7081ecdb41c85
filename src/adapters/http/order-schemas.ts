import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '../../domain/errors.js';
import { ORDER_LIMITS, ORDER_RULES } from '../../domain/order.js';
import { STATUS_CHANGE_LIMITS, STATUS_CHANGE_RULES, TARGET_STATUSES, type TargetStatus } from '../../domain/order-status.js';

// ajv-formats ships CommonJS with the plugin as its default export.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The body of `POST /orders`; the OpenAPI document is built from this same object. */
export const createOrderSchema = {
  $id: 'CreateOrderRequest',
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'itemId'],
  properties: {
    orderId: {
      type: 'string',
      minLength: 1,
      maxLength: ORDER_LIMITS.orderIdMaxLength,
      pattern: ORDER_RULES.text.pattern,
      description: 'Your identifier of the order; surrounding whitespace is trimmed. Unique.',
    },
    itemId: {
      type: 'array',
      minItems: ORDER_LIMITS.minItems,
      maxItems: ORDER_LIMITS.maxItems,
      items: { type: 'string', minLength: 1, maxLength: ORDER_LIMITS.itemIdMaxLength, pattern: ORDER_RULES.text.pattern },
    },
    email: {
      type: 'string',
      format: 'email',
      maxLength: ORDER_LIMITS.emailMaxLength,
      description: 'Where the confirmation goes; without it, NOTIFY_DEFAULT_TO.',
    },
  },
} as const;

export interface CreateOrderBody {
  orderId: string;
  itemId: string[];
  email?: string;
}

/** The body of `POST /orders/{orderId}/status`; the OpenAPI document is built from this same object. */
export const changeOrderStatusSchema = {
  $id: 'ChangeOrderStatusRequest',
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { enum: [...TARGET_STATUSES], description: 'created → shipped → delivered; created or shipped → cancelled. The status the order has already changes nothing (200).' },
    note: {
      type: 'string',
      minLength: 1,
      maxLength: STATUS_CHANGE_LIMITS.noteMaxLength,
      pattern: STATUS_CHANGE_RULES.text.pattern,
      description: 'For the customer; surrounding whitespace is trimmed.',
    },
    trackingUrl: {
      type: 'string',
      maxLength: STATUS_CHANGE_LIMITS.trackingUrlMaxLength,
      pattern: STATUS_CHANGE_RULES.trackingUrl.pattern,
      description: 'An https:// URL where the customer follows the parcel.',
    },
    carrier: { type: 'string', minLength: 1, maxLength: STATUS_CHANGE_LIMITS.carrierMaxLength, pattern: STATUS_CHANGE_RULES.text.pattern },
  },
} as const;

export interface ChangeOrderStatusBody {
  status: TargetStatus;
  note?: string;
  trackingUrl?: string;
  carrier?: string;
}

const ajv = new Ajv({ allErrors: true, strict: true, unicodeRegExp: true });
addFormats(ajv, ['email']);
const validateCreateOrder = ajv.compile<CreateOrderBody>(createOrderSchema);
const validateChangeOrderStatus = ajv.compile<ChangeOrderStatusBody>(changeOrderStatusSchema);

type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Trims what the contract says is trimmed, then validates; returns the body or every problem found. */
export function parseCreateOrder(body: unknown): Parsed<CreateOrderBody> {
  return parse(body, validateCreateOrder, ['orderId', 'email'], {});
}

/** The same for a status change: the texts are trimmed, a tracking URL's pattern has its own message. */
export function parseChangeOrderStatus(body: unknown): Parsed<ChangeOrderStatusBody> {
  return parse(body, validateChangeOrderStatus, ['note', 'trackingUrl', 'carrier'], { trackingUrl: STATUS_CHANGE_RULES.trackingUrl.message });
}

function parse<T>(body: unknown, validate: ValidateFunction<T>, trimmed: readonly string[], patternMessages: Readonly<Record<string, string>>): Parsed<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  const candidate: Record<string, unknown> = { ...body };
  for (const field of trimmed)
    if (typeof candidate[field] === 'string') candidate[field] = (candidate[field] as string).trim();
  if (validate(candidate)) return { ok: true, value: candidate };
  return { ok: false, errors: dedupe((validate.errors ?? []).map((error) => toFieldError(error, patternMessages))) };
}

function toFieldError(error: ErrorObject, patternMessages: Readonly<Record<string, string>>): FieldError {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
  switch (error.keyword) {
    case 'required':
      return { field: String(error.params.missingProperty), message: 'is required' };
    case 'additionalProperties':
      return { field: String(error.params.additionalProperty), message: 'is not an allowed field' };
    case 'pattern':
      return { field: path, message: patternMessages[path] ?? ORDER_RULES.text.message };
    case 'enum':
      return { field: path, message: `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}` };
    case 'format':
      return { field: path, message: ORDER_RULES.email.message };
    case 'minLength':
      return { field: path, message: error.params.limit === 1 ? 'must not be empty' : String(error.message) };
    default:
      return { field: path || '(body)', message: String(error.message) };
  }
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(`${e.field}\n${e.message}`) && seen.add(`${e.field}\n${e.message}`));
}
