import type { OutgoingEvent } from './outbox.js';

/** An event the broker refused for good (too large, an invalid record): another try would fail the same way. */
export interface RejectedEvent<E extends OutgoingEvent = OutgoingEvent> {
  readonly event: E;
  readonly reason: string;
}

export interface EventPublisher {
  /**
   * Resolves once the broker has acknowledged every event but the ones it refused for good, which it
   * lists; rejects (DependencyUnavailableError) when the broker is away, and then nothing is known to be acknowledged.
   * An event of a type or version the publisher has no envelope for is refused for good too.
   */
  publish<E extends OutgoingEvent>(events: readonly E[]): Promise<readonly RejectedEvent<E>[]>;
}
