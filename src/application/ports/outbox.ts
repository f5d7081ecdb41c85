import { EVENT_MAX_BYTES, type DomainEvent } from '../../domain/domain-event.js';
import { ValidationError } from '../../domain/errors.js';
import type { RejectedEvent } from './event-publisher.js';

/** What the use case knew around an event, beside the event itself. */
export interface EventMetadata {
  readonly correlationId?: string;
}

/** An event on its way out: written to the outbox in the same transaction as the state it describes, then published. */
export interface OutgoingEvent {
  readonly event: DomainEvent;
  readonly metadata: EventMetadata;
}

export interface PendingEvent extends OutgoingEvent {
  readonly id: string;
  readonly createdAt: Date;
  readonly attempts: number;
}

/**
 * The event's payload as the outbox stores it (UTF-8 JSON). Every outbox adapter serialises through it, so
 * no adapter stores an event too large to publish.
 * @throws ValidationError when the payload is larger than EVENT_MAX_BYTES: the request that made it is refused (400).
 */
export function serialisePayload(event: DomainEvent): string {
  const json = JSON.stringify(event.payload);
  if (Buffer.byteLength(json) > EVENT_MAX_BYTES)
    throw new ValidationError([{ field: 'order', message: `must make a ${event.type} event of at most ${EVENT_MAX_BYTES} bytes` }]);
  return json;
}

export interface OutboxBacklog {
  /** Events waiting to be published (parked ones excluded). */
  readonly count: number;
  readonly oldestCreatedAt?: Date;
  /** Events the broker refused for good, set aside until an operator looks at them. */
  readonly parked: number;
}

export interface RelayedBatch {
  readonly published: number;
  readonly parked: readonly RejectedEvent<PendingEvent>[];
}

export interface Outbox {
  /**
   * Claims up to `limit` unpublished events (never the ones another relay holds), hands them to
   * `publish`, and when it resolves marks them published, except the ones it returns, which are parked:
   * kept, never handed over again, and counted in the backlog's `parked`. A failed or interrupted publish
   * leaves them all unpublished for the next try.
   */
  relay(limit: number, publish: (events: readonly PendingEvent[]) => Promise<readonly RejectedEvent<PendingEvent>[]>): Promise<RelayedBatch>;
  backlog(): Promise<OutboxBacklog>;
  /**
   * Resolves when new events may be waiting (including any announced while nobody was waiting), or
   * after `timeoutMs` at the latest.
   */
  waitForEvents(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Deletes up to `limit` events published before `before`; resolves with how many. Parked and unpublished ones stay. */
  prune(before: Date, limit: number): Promise<number>;
}
