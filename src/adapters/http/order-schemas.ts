import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '../../domain/errors.js';
import { ORDER_LIMITS, ORDER_RULES } from '../../domain/order.js';

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

const ajv = new Ajv({ allErrors: true, strict: true, unicodeRegExp: true });
addFormats(ajv, ['email']);
const validateCreateOrder = ajv.compile<CreateOrderBody>(createOrderSchema);

/** Trims what the contract says is trimmed, then validates; returns the body or every problem found. */
export function parseCreateOrder(body: unknown): { ok: true; value: CreateOrderBody } | { ok: false; errors: FieldError[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  const candidate: Record<string, unknown> = { ...body };
  for (const field of ['orderId', 'email'])
    if (typeof candidate[field] === 'string') candidate[field] = (candidate[field] as string).trim();
  if (validateCreateOrder(candidate)) return { ok: true, value: candidate };
  return { ok: false, errors: dedupe((validateCreateOrder.errors ?? []).map(toFieldError)) };
}

function toFieldError(error: ErrorObject): FieldError {
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
      return { field: path, message: ORDER_RULES.text.message };
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
