import type { DomainEvent, EventKind } from '../domain/domain-event.js';
import type { EventSource } from './ports/notification-ledger.js';

/** How an event reached this process, beside the event itself. */
export interface Delivery {
  readonly correlationId?: string;
  readonly source?: EventSource;
}

/**
 * One thing the system does when an event happens: it names the event kind it handles and does that one
 * thing. A new reaction is a new file and a line in the dispatch table, never an edit of a consumer.
 * @throws DependencyUnavailableError when the event is to be handled again later; anything else makes it poison.
 */
export interface Reaction<E extends DomainEvent = DomainEvent> {
  readonly handles: EventKind<E['type']> & { readonly version: E['version'] };
  react(event: E, delivery: Delivery): Promise<void>;
}
