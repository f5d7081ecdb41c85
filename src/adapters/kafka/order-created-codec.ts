import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { DecodedMessage } from '../../application/notify-order-created.js';
import type { OrderCreated } from '../../domain/order-created.js';
import { ORDER_CREATED_HEADERS_SCHEMA_REF, orderCreatedSchema } from './order-created-schema.js';

export { orderCreatedSchema } from './order-created-schema.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv2020({ allErrors: true, unicodeRegExp: true });
addFormats(ajv, ['email', 'date-time']);
const validate = ajv.compile<OrderCreated>(orderCreatedSchema);
const validateHeaders = ajv.getSchema(ORDER_CREATED_HEADERS_SCHEMA_REF) as ReturnType<typeof ajv.compile>;

const CORRELATION_ID = '/correlation-id';

/** Turns a Kafka message into an `order-created` v1 event, or says why it is poison. */
export function decodeOrderCreated(value: Buffer | null, headers: Readonly<Record<string, string>>): DecodedMessage {
  const headerErrors = validateHeaders(headers) ? [] : (validateHeaders.errors ?? []);
  const fatal = headerErrors.filter((error) => error.instancePath !== CORRELATION_ID);
  if (fatal.length > 0) return { ok: false, reason: `invalid headers: ${describe(fatal, 'headers')}` };
  if (value === null) return { ok: false, reason: 'empty message (tombstone)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  if (!validate(parsed)) return { ok: false, reason: `fails order-created v1 schema: ${describe(validate.errors ?? [], 'event')}` };
  const correlationId = headers['correlation-id'];
  if (correlationId === undefined) return { ok: true, event: parsed };
  if (headerErrors.length > 0) return { ok: true, event: parsed, ignored: describe(headerErrors, 'headers') };
  return { ok: true, event: parsed, correlationId };
}

function describe(errors: readonly ErrorObject[], dataVar: string): string {
  return ajv.errorsText([...errors], { dataVar });
}
