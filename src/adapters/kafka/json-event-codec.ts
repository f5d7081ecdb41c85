import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { DecodedMessage } from '../../application/dispatch-event.js';
import type { EventMetadata } from '../../application/ports/outbox.js';
import type { DomainEvent, EventKind } from '../../domain/domain-event.js';
import { EVENT_TYPE_HEADER, SCHEMA_VERSION_HEADER, type EventCodec, type KafkaRecord } from './event-codec.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const CORRELATION_ID = '/correlation-id';

/** An event kind whose payload is JSON, keyed by the order it is about, checked against its JSON Schema. */
export interface JsonEventSpec<E extends DomainEvent<string, { readonly orderId: string }>> {
  readonly kind: EventKind<E['type']>;
  /** How a reason calls the schema: `order-created v1`. */
  readonly schemaName: string;
  /** The JSON Schema (2020-12) of the payload, with its headers in `$defs`. */
  readonly schema: Record<string, unknown>;
  /** Where in `schema` the headers' schema is. */
  readonly headersSchemaRef: string;
}

/**
 * The Kafka envelope of a JSON event kind on `topic`: keyed by orderId, so that the events of one order share a
 * partition and keep their order; headers name its type and schema version.
 */
export function jsonEventCodec<E extends DomainEvent<string, { readonly orderId: string }>>(topic: string, spec: JsonEventSpec<E>, decode: EventCodec<E>['decode']): EventCodec<E> {
  return { kind: spec.kind, topic, encode: (event, metadata) => encodeJsonEvent(topic, event, metadata), decode };
}

function encodeJsonEvent(topic: string, event: DomainEvent, metadata: EventMetadata): KafkaRecord {
  return { topic, ...jsonRecord(event, metadata) };
}

/** Any event as JSON: keyed by its aggregate, its type and schema version in the headers. */
export function jsonRecord(event: DomainEvent, metadata: EventMetadata): Omit<KafkaRecord, 'topic'> {
  return {
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

/**
 * Reads a record of the kind into its event, or says why it is poison. A correlation-id header that fails its
 * schema is ignored (and said so), not a reason to refuse the event.
 */
export function jsonEventDecoder<E extends DomainEvent<string, { readonly orderId: string }>>(spec: JsonEventSpec<E>): EventCodec<E>['decode'] {
  const ajv = new Ajv2020({ allErrors: true, unicodeRegExp: true });
  addFormats(ajv, ['email', 'date-time']);
  const validate = ajv.compile<E['payload']>(spec.schema);
  const validateHeaders = ajv.getSchema(spec.headersSchemaRef) as ReturnType<typeof ajv.compile>;
  const describe = (errors: readonly ErrorObject[], dataVar: string): string => ajv.errorsText([...errors], { dataVar });
  return (value: Buffer | null, headers: Readonly<Record<string, string>>): DecodedMessage => {
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
    if (!validate(parsed)) return { ok: false, reason: `fails ${spec.schemaName} schema: ${describe(validate.errors ?? [], 'event')}` };
    const event: DomainEvent = { type: spec.kind.type, version: spec.kind.version, aggregateId: parsed.orderId, payload: parsed };
    const correlationId = headers['correlation-id'];
    if (correlationId === undefined) return { ok: true, event, metadata: {} };
    if (headerErrors.length > 0) return { ok: true, event, metadata: {}, ignored: describe(headerErrors, 'headers') };
    return { ok: true, event, metadata: { correlationId } };
  };
}
