import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { DecodedMessage } from '../../application/dispatch-event.js';
import type { EventMetadata } from '../../application/ports/outbox.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChanged, type OrderStatusChangedEvent } from '../../domain/order-status-changed.js';
import { EVENT_TYPE_HEADER, SCHEMA_VERSION_HEADER, type EventCodec, type KafkaRecord } from './event-codec.js';
import { ORDER_STATUS_CHANGED_HEADERS_SCHEMA_REF, orderStatusChangedSchema } from './order-status-changed-schema.js';

export { orderStatusChangedSchema } from './order-status-changed-schema.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv2020({ allErrors: true, unicodeRegExp: true });
addFormats(ajv, ['email', 'date-time']);
const validate = ajv.compile<OrderStatusChanged>(orderStatusChangedSchema);
const validateHeaders = ajv.getSchema(ORDER_STATUS_CHANGED_HEADERS_SCHEMA_REF) as ReturnType<typeof ajv.compile>;

const CORRELATION_ID = '/correlation-id';

/**
 * `order.status-changed` v1 on Kafka: on the same topic as order.created and keyed by orderId, so all the
 * events of one order share a partition and keep their order; JSON checked against schemas/order-status-changed.v1.json.
 */
export function orderStatusChangedCodec(topic: string): EventCodec<OrderStatusChangedEvent> {
  return {
    kind: ORDER_STATUS_CHANGED,
    topic,
    encode: (event, metadata) => encodeOrderStatusChanged(topic, event, metadata),
    decode: decodeOrderStatusChanged,
  };
}

function encodeOrderStatusChanged(topic: string, event: OrderStatusChangedEvent, metadata: EventMetadata): KafkaRecord {
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

/** Turns a Kafka message into an `order.status-changed` v1 event, or says why it is poison. */
export function decodeOrderStatusChanged(value: Buffer | null, headers: Readonly<Record<string, string>>): DecodedMessage {
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
  if (!validate(parsed)) return { ok: false, reason: `fails order-status-changed v1 schema: ${describe(validate.errors ?? [], 'event')}` };
  const event: OrderStatusChangedEvent = { ...ORDER_STATUS_CHANGED, aggregateId: parsed.orderId, payload: parsed };
  const correlationId = headers['correlation-id'];
  if (correlationId === undefined) return { ok: true, event, metadata: {} };
  if (headerErrors.length > 0) return { ok: true, event, metadata: {}, ignored: describe(headerErrors, 'headers') };
  return { ok: true, event, metadata: { correlationId } };
}

function describe(errors: readonly ErrorObject[], dataVar: string): string {
  return ajv.errorsText([...errors], { dataVar });
}
