import { kindKey, type DomainEvent, type EventKind } from '../../domain/domain-event.js';
import type { DecodedMessage } from '../../application/dispatch-event.js';
import type { EventMetadata } from '../../application/ports/outbox.js';

/** An event as Kafka carries it. */
export interface KafkaRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The Kafka envelope of one event kind: its topic, key, headers and JSON value, both ways. */
export interface EventCodec<E extends DomainEvent = DomainEvent> {
  readonly kind: EventKind<E['type']>;
  readonly topic: string;
  encode(event: E, metadata: EventMetadata): KafkaRecord;
  /** Reads a record of this kind, checking it against its schema; says why it is poison otherwise. */
  decode(value: Buffer | null, headers: Readonly<Record<string, string>>): DecodedMessage;
}

export const EVENT_TYPE_HEADER = 'event-type';
export const SCHEMA_VERSION_HEADER = 'schema-version';
const VERSION = /^[1-9]\d{0,8}$/;


/** The codecs of every event kind this process writes or reads: an event or a record without one is refused, never guessed at. */
export class EventCodecs {
  private readonly byKind = new Map<string, EventCodec>();
  /** What a record on a topic is when it names no type: records written before the `event-type` header. */
  private readonly typeOfTopic = new Map<string, string>();

  constructor(codecs: readonly EventCodec[]) {
    for (const codec of codecs) {
      if (this.byKind.has(kindKey(codec.kind))) throw new Error(`two codecs for ${kindKey(codec.kind)}`);
      this.byKind.set(kindKey(codec.kind), codec as EventCodec);
      if (!this.typeOfTopic.has(codec.topic)) this.typeOfTopic.set(codec.topic, codec.kind.type);
    }
  }

  get topics(): string[] {
    return [...this.typeOfTopic.keys()];
  }

  /** The record of an event, or undefined when no codec here knows its type and version. */
  encode(event: DomainEvent, metadata: EventMetadata): KafkaRecord | undefined {
    return this.byKind.get(kindKey(event))?.encode(event, metadata);
  }

  /** Reads a record by its `event-type` and `schema-version` headers; an unknown type or version is poison. */
  decode(topic: string, value: Buffer | null, headers: Readonly<Record<string, string>>): DecodedMessage {
    const type = headers[EVENT_TYPE_HEADER] ?? this.typeOfTopic.get(topic);
    if (type === undefined) return { ok: false, reason: `unknown event: no ${EVENT_TYPE_HEADER} header, and no event type is read from topic ${topic}` };
    const versionText = headers[SCHEMA_VERSION_HEADER] ?? '1';
    if (!VERSION.test(versionText)) return { ok: false, reason: `invalid headers: headers/${SCHEMA_VERSION_HEADER} must be a positive integer` };
    const codec = this.byKind.get(kindKey({ type, version: Number(versionText) }));
    if (!codec) return { ok: false, reason: `unknown event: no codec here reads ${type} ${SCHEMA_VERSION_HEADER} ${versionText} (written by a newer producer?)` };
    return codec.decode(value, headers);
  }
}
