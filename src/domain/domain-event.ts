/**
 * Something that happened to an aggregate, in the domain's own words: no topic, header or byte. Adapters
 * choose the envelope (a Kafka record, an in-process message) by `type` and `version`.
 */
export interface DomainEvent<Type extends string = string, Payload extends object = object> {
  /** What happened, e.g. `order.created`; never reused for another meaning. */
  readonly type: Type;
  /** The version of the payload's shape: a change readers cannot take is a new version. */
  readonly version: number;
  /** The aggregate it is about (an orderId): the events of one aggregate keep their order. */
  readonly aggregateId: string;
  readonly payload: Payload;
}

/** Which events a reader understands: a type at one payload version. */
export interface EventKind<Type extends string = string> {
  readonly type: Type;
  readonly version: number;
}

/**
 * The largest payload, as UTF-8 JSON, that any event may have: checked where events are serialised, so an
 * event too large to publish is refused with the request that made it, never parked after the commit.
 */
export const EVENT_MAX_BYTES = 64 * 1024;

/** One string per kind (`order.created@1`), to look kinds up by. */
export const kindKey = (kind: EventKind): string => `${kind.type}@${kind.version}`;

/** Collects the events an aggregate records, until the use case hands them over. */
export class RecordedEvents {
  private readonly pending: DomainEvent[] = [];

  record(event: DomainEvent): void {
    this.pending.push(event);
  }

  /** The events recorded so far, once: a second pull returns none. */
  pull(): DomainEvent[] {
    return this.pending.splice(0, this.pending.length);
  }
}
