import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FieldError } from '../../domain/errors.js';
import { LOCALE_RULES } from '../../domain/locale.js';
import { ORDER_LIMITS, ORDER_RULES, Order } from '../../domain/order.js';
import { checkStatusChange, STATUS_CHANGE_LIMITS, STATUS_CHANGE_RULES, TARGET_STATUSES } from '../../domain/order-status.js';

/**
 * The body of `POST /orders` as the OpenAPI document shows it: its shape, and the domain's rules read from
 * the domain's constants, for clients to see. The server validates only the shape against it (shapeOf).
 */
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
      pattern: ORDER_RULES.email.pattern,
      description: 'Where the confirmation goes; without it, NOTIFY_DEFAULT_TO.',
    },
    locale: {
      type: 'string',
      maxLength: LOCALE_RULES.maxLength,
      pattern: LOCALE_RULES.pattern,
      description:
        "The customer's language, a BCP 47 tag (de-DE, de, en-GB), stored in its canonical form. Its emails are written from the templates of de-DE, else de, else DEFAULT_LOCALE, else en, and their dates, numbers and lists read as in de-DE. Without it, DEFAULT_LOCALE.",
      examples: ['de-DE'],
    },
  },
} as const;

export interface CreateOrderBody {
  orderId: string;
  itemId: string[];
  email?: string;
  locale?: string;
}

/** The body of `POST /orders/{orderId}/status` as the OpenAPI document shows it, rules included, like createOrderSchema. */
export const changeOrderStatusSchema = {
  $id: 'ChangeOrderStatusRequest',
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: {
      type: 'string',
      enum: [...TARGET_STATUSES],
      description: 'created → shipped → delivered; created or shipped → cancelled. The status the order has already changes nothing (200).',
    },
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
  status: string;
  note?: string;
  trackingUrl?: string;
  carrier?: string;
}

interface SchemaNode {
  readonly [keyword: string]: unknown;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
}

// The rules' keywords: the domain checks what they say, with one message per rule, whichever adapter calls it.
const RULE_KEYWORDS: ReadonlySet<string> = new Set(['minLength', 'maxLength', 'pattern', 'format', 'minItems', 'maxItems', 'enum']);

/** A schema without its rules: the types, the required fields and no others. */
export function shapeOf(schema: SchemaNode): SchemaNode {
  const shape: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (RULE_KEYWORDS.has(keyword)) continue;
    shape[keyword] = value;
  }
  if (schema.properties) shape.properties = Object.fromEntries(Object.entries(schema.properties).map(([name, property]) => [name, shapeOf(property)]));
  if (schema.items) shape.items = shapeOf(schema.items);
  return shape;
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validateCreateOrder = ajv.compile<CreateOrderBody>(shapeOf(createOrderSchema));
const validateChangeOrderStatus = ajv.compile<ChangeOrderStatusBody>(shapeOf(changeOrderStatusSchema));

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * The body when its shape is right (its rules are the domain's, checked when the order is created), or every
 * problem found: the shape's, and the domain's rules broken by the fields whose shape is right.
 */
export function parseCreateOrder(body: unknown): Parsed<CreateOrderBody> {
  return parseRequest(body, validateCreateOrder, (fields) =>
    Order.check({
      ...(fields.orderId === undefined ? {} : { orderId: fields.orderId }),
      ...(fields.itemId === undefined ? {} : { itemIds: fields.itemId }),
      ...(fields.email === undefined ? {} : { email: fields.email }),
      ...(fields.locale === undefined ? {} : { locale: fields.locale }),
    }),
  );
}

/** The same for a status change, whose rules the domain checks before it looks for the order. */
export function parseChangeOrderStatus(body: unknown): Parsed<ChangeOrderStatusBody> {
  return parseRequest(body, validateChangeOrderStatus, checkStatusChange);
}

/** A body checked against the shape `validate` knows, then against the rules `ruleProblems` reports for its well-shaped fields. */
export function parseRequest<T>(body: unknown, validate: ValidateFunction<T>, ruleProblems: (wellShaped: Partial<T>) => FieldError[]): Parsed<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  if (validate(body)) return { ok: true, value: body };
  const errors = validate.errors ?? [];
  const misshapen = new Set(errors.map(topLevelField));
  // ajv reports every misshapen field (allErrors), so the fields left have the types the body's type says.
  const wellShaped = Object.fromEntries(Object.entries(body).filter(([field]) => !misshapen.has(field))) as Partial<T>;
  return { ok: false, errors: dedupe([...errors.map(toFieldError), ...ruleProblems(wellShaped)]) };
}

function topLevelField(error: ErrorObject): string {
  if (error.keyword === 'required') return String(error.params.missingProperty);
  if (error.keyword === 'additionalProperties') return String(error.params.additionalProperty);
  return error.instancePath.split('/')[1] ?? '';
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
    default:
      return { field: path || '(body)', message: String(error.message) };
  }
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(`${e.field}\n${e.message}`) && seen.add(`${e.field}\n${e.message}`));
}
