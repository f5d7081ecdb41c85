import type { OutboxEvent } from './outbox.js';

export interface EventPublisher {
  /** Resolves once the broker has acknowledged every event; rejects if any was not. */
  publish(events: readonly OutboxEvent[]): Promise<void>;
}
