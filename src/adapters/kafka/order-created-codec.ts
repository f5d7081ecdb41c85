import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { DecodedMessage } from '../../application/dispatch-event.js';
import type { EventMetadata } from '../../application/ports/outbox.js';
import { ORDER_CREATED, type OrderCreated, type OrderCreatedEvent } from '../../domain/order-created.js';
import { EVENT_TYPE_HEADER, SCHEMA_VERSION_HEADER, type EventCodec, type KafkaRecord } from './event-codec.js';
import { ORDER_CREATED_HEADERS_SCHEMA_REF, orderCreatedSchema } from './order-created-schema.js';

export { orderCreatedSchema } from './order-created-schema.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv2020({ allErrors: true, unicodeRegExp: true });
addFormats(ajv, ['email', 'date-time']);
const validate = ajv.compile<OrderCreated>(orderCreatedSchema);
const validateHeaders = ajv.getSchema(ORDER_CREATED_HEADERS_SCHEMA_REF) as ReturnType<typeof ajv.compile>;

const CORRELATION_ID = '/correlation-id';

/** `order.created` v1 on Kafka: keyed by orderId, so the events of one order keep their order; JSON checked against schemas/order-created.v1.json. */
export function orderCreatedCodec(topic: string): EventCodec<OrderCreatedEvent> {
  return {
    kind: ORDER_CREATED,
    topic,
    encode: (event, metadata) => encodeOrderCreated(topic, event, metadata),
    decode: decodeOrderCreated,
  };
}

function encodeOrderCreated(topic: string, event: OrderCreatedEvent, metadata: EventMetadata): KafkaRecord {
  return {
    topic,
    key: event.aggregateId,
    value: JSON.stringify(event.payload),
    headers: {
      [EVENT_TYPE_HEADER]: event.type,
      [SCHEMA_VERSION_HEADER]: String(event.version),
      'content-type': 'application/json',
      ...(metadata.correlationId === undefined ? {} : { 'correlation-id': metadata.correlationId }),
    },
  };
}

/** Turns a Kafka message into an `order.created` v1 event, or says why it is poison. */
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
  const event: OrderCreatedEvent = { ...ORDER_CREATED, aggregateId: parsed.orderId, payload: parsed };
  const correlationId = headers['correlation-id'];
  if (correlationId === undefined) return { ok: true, event, metadata: {} };
  if (headerErrors.length > 0) return { ok: true, event, metadata: {}, ignored: describe(headerErrors, 'headers') };
  return { ok: true, event, metadata: { correlationId } };
}

function describe(errors: readonly ErrorObject[], dataVar: string): string {
  return ajv.errorsText([...errors], { dataVar });
}
